// A suite file's name as a report gives it: relative to the repository that holds it (the
// nearest folder above with a .git), so that CI annotation tools can link it; else relative to
// the working folder when under it; else absolute.
#pragma once

#include <string>

namespace kubedouble::scenarios {

std::string RepoRelativePath(const std::string& file);

}  // namespace kubedouble::scenarios
