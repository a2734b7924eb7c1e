// `serve --log-requests`: one line per answered request on stderr, in the shape of
// kube-apiserver's httplog lines (a klog header, then key="value" pairs):
//
//   I1206 07:50:50.123456 4242 httplog] "HTTP" verb="LIST" URI="/api/v1/pods?limit=500"
//     latency="1.204ms" userAgent="kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9"
//     audit-ID="5b6c..." srcIP="127.0.0.1:53124" resp=200
//
// (on one line). verb is the HTTP method, except LIST and WATCH for reads of a collection;
// audit-ID is also sent to the client as the Audit-Id header, as kube-apiserver does.
#pragma once

#include <httplib.h>

#include <string>

#include "kubedouble/fakeserver/journal.h"
#include "request_info.h"

namespace kubedouble::fake {

// The line for one request (without the new line). `info` may be empty (an admin or
// unauthenticated request): the verb is then the HTTP method.
std::string RequestLogLine(const httplib::Request& req, const JournalEntry& entry,
                           const RequestInfo& info, const std::string& audit_id);

// Writes `line` and a new line to stderr with one write, so that lines of concurrent requests
// never interleave.
void WriteLogLine(const std::string& line);

}  // namespace kubedouble::fake
