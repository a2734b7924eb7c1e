// The controllers, one file each. Each factory makes one part of the control plane (the names
// are those of --controllers; control_plane.h describes what each does).
#pragma once

#include <memory>

#include "world.h"

namespace kubedouble::controlplane {

std::unique_ptr<Controller> NewNamespaceController();
std::unique_ptr<Controller> NewNodeController();
std::unique_ptr<Controller> NewScheduler();
std::unique_ptr<Controller> NewKubelet();
std::unique_ptr<Controller> NewReplicaSetController();
std::unique_ptr<Controller> NewDeploymentController();
std::unique_ptr<Controller> NewJobController();
std::unique_ptr<Controller> NewStatefulSetController();
std::unique_ptr<Controller> NewDaemonSetController();
std::unique_ptr<Controller> NewCronJobController();
std::unique_ptr<Controller> NewEndpointsController();
std::unique_ptr<Controller> NewDisruptionController();

}  // namespace kubedouble::controlplane
