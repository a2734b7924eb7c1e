// The shape every workload controller shares: it follows the objects of one resource and the
// dependents they control (pods, or a Deployment's ReplicaSets); a change of either queues the
// owner's key, and Reconcile hands Sync a copy of the live owner (kind and apiVersion set).
#pragma once

#include <string>
#include <utility>

#include "owners.h"
#include "world.h"

namespace kubedouble::controlplane {

class OwnerController : public Controller {
 public:
  struct Kind {
    std::string controller;   // "replicaset"
    std::string resource;     // "replicasets"
    std::string kind;         // "ReplicaSet"
    std::string api_version;  // "apps/v1"
    std::string dependents = "pods";
  };
  explicit OwnerController(Kind kind) : kind_(std::move(kind)) {}

  std::string name() const override { return kind_.controller; }
  void Changed(World& w, const std::string& resource, const json& object, bool deleted) override;
  // Skips owners that are gone or being deleted.
  void Reconcile(World& w, const std::string& key) final;

 protected:
  virtual void Sync(World& w, json owner) = 0;
  OwnerIndex owners_;

 private:
  Kind kind_;
};

}  // namespace kubedouble::controlplane
