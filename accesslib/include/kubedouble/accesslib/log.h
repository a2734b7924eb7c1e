// The access library's log (spdlog): where it goes and how much of it, as kubectl's -v flag.
#pragma once

#include <string>

namespace kubedouble::access {

// Log lines go to stderr in klog's form ("W1129 03:28:27.502134 message"), never to stdout
// (which holds a command's output). Verbosity 6 or more logs every request (kubectl -v=6) and
// the library's details (retries, token and certificate reloads); below, warnings and errors.
void SetVerbosity(int verbosity);

// A warning through the same log.
void LogWarning(const std::string& message);

}  // namespace kubedouble::access
