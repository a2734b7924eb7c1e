// Binding a pod to a node: POST pods/NAME/binding and POST bindings, what a scheduler sends.
#pragma once

#include <kubedouble/fakeserver/store.h>

#include <string>

namespace kubedouble::fake {

// Sets spec.nodeName of pod `ns`/`pod_name` to the binding's target.name and its PodScheduled
// condition to True (at `now`, RFC 3339), in one write, as kube-apiserver's binding does.
// Returns the Status kube-apiserver answers (Success, 201). Throws StatusError: 404 for a pod
// that does not exist, 409 for one already on a node, 422 without target.name, 400 when the
// binding names another pod.
json BindPod(Store& store, const std::string& ns, const std::string& pod_name, const json& binding,
             const std::string& now);

}  // namespace kubedouble::fake
