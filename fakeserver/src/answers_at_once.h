// Which requests the fake server answers at once, never waiting on anything: what the connection
// layer may answer in turn on one worker (net::HttpServerOptions::answers_at_once).
#pragma once

#include <httplib.h>

#include "kubedouble/fakeserver/faults.h"

namespace kubedouble::fake {

// A GET or HEAD that is no watch or followed log (net::WantsStream), reaches no pod or service
// through `proxy` and opens no exec, attach or port-forward stream, while `faults` holds no rule
// (a rule may delay or hold an answer). Anything else may wait: it gets a worker of its own.
bool AnswersAtOnce(const httplib::Request& req, const FaultSet& faults);

}  // namespace kubedouble::fake
