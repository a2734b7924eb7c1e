// Reading and setting the headers of a request or an answer (cpp-httplib's Headers, a multimap
// ordered by name without case). cpp-httplib's own look-ups search the tree comparing names with
// a libc call per character (get_header_value searches twice): a request's or an answer's few
// headers are found here by one walk that compares lengths first, and a header is added at its
// place, so that the tree compares it with its neighbours only.
#pragma once

#include <httplib.h>

#include <string>

namespace kubedouble::fake {

// The first value of header `name` ("" when there is none), as get_header_value(name) gives it.
const std::string& FirstHeader(const httplib::Headers& headers, const std::string& name);

// Sets header `name` to `value` (the server's own text, without line breaks), replacing any
// it had.
void ReplaceHeader(httplib::Headers& headers, const std::string& name, std::string value);
// Adds header `name` with `value` unless there is one.
void AddHeaderUnlessSet(httplib::Headers& headers, const std::string& name, std::string value);

}  // namespace kubedouble::fake
