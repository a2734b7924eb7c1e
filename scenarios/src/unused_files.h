// Which of a scenario's `files:` nothing reads. A file is read when the access path names it
// (`kubeconfigs`), or when another file's content names it: as ${WORK}/files/PATH, or by its path
// relative to that file's folder (a kubeconfig's relative certificate-authority, ...). A file
// nothing reads would let a scenario pass while testing nothing, so the parser refuses it.
#pragma once

#include <vector>

#include "kubedouble/scenarios/model.h"

namespace kubedouble::scenarios {

// The files of `access` that nothing reads, in the order they are listed.
std::vector<const FileSpec*> UnusedFiles(const Access& access);

}  // namespace kubedouble::scenarios
