// `kubectl proxy --www`: the files of a folder, answered as Go's http.FileServer does for the
// common cases (a file; a folder's index.html; else 404).
#pragma once

#include <httplib.h>

#include <string>

namespace kubedouble::access::detail {

// Answers a GET or HEAD of `sub_path` (a clean, decoded path under the --www prefix, "/" first)
// from the folder `root`: 200 with the file's bytes and a Content-Type by its extension (or by a
// look at its bytes: text or binary). False when there is no such file (the caller answers 404).
bool AnswerStaticFile(const std::string& root, const std::string& sub_path, httplib::Response& res);

}  // namespace kubedouble::access::detail
