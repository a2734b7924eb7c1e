// ControllerRevisions: the history of a StatefulSet's or DaemonSet's pod template, which
// `kubectl rollout history` lists and `kubectl rollout undo` patches back.
#pragma once

#include <string>

#include "world.h"

namespace kubedouble::controlplane {

// Records `owner`'s current spec.template as ControllerRevision `name` (labels: the template's,
// and controller.kubernetes.io/hash = `hash`; a controller ownerReference; data: the template
// as a strategic-merge patch that replaces it). A new revision gets the next number; an existing
// one below the highest (a rollback to an old template) is raised to the next number. Then the
// oldest revisions beyond spec.revisionHistoryLimit (default 10) go, never `name` nor `keep`.
// Reads the owner's revisions from the store, so call it when the template changed.
void RecordRevision(World& w, const json& owner, const std::string& name, const std::string& hash,
                    const std::string& keep = "");

}  // namespace kubedouble::controlplane
