// tar for a container's file tree (file_tree.h), enough for `kubectl cp` both ways, with GNU tar's
// wording (the tar of the images kubectl cp is used with). The archives are GNU tar's format,
// made and read with libarchive.
//
// kubectl 1.32 runs, in the container:
//   from the pod:  tar cf - SRC
//   to the pod:    test -d DEST, then tar -xmf - [-C DIR]
//                  (tar --no-same-permissions --no-same-owner -xmf - with --no-preserve)
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "file_tree.h"

namespace kubedouble::fake {

struct TarOutcome {
  std::string archive;  // what `c` wrote (the archive) or `t` / `v` listed
  std::string errors;   // tar's messages for stderr ("tar: …" lines)
  int status = 0;       // 0, or 2 as GNU tar exits after errors
};

// The archive of `paths` (relative to `cwd`), directories with everything under them. A leading
// '/' is dropped from member names, saying so once on stderr as GNU tar does; a path that does
// not exist is an error (`tar: P: Cannot stat: No such file or directory`), status 2.
TarOutcome TarCreate(const FileTree& tree, const std::string& cwd,
                     const std::vector<std::string>& paths, bool verbose);

// Extracts `archive` into directory `dir` (absolute). `touch`: files get `now` as their time
// (-m) instead of the archive's. `list_only`: lists the member names instead (t). Members that
// climb out with `..` are skipped with GNU tar's message; an archive libarchive cannot read is
// `tar: This does not look like a tar archive`, status 2.
TarOutcome TarExtract(FileTree& tree, const std::string& archive, const std::string& dir,
                      bool touch, bool list_only, bool verbose,
                      std::chrono::system_clock::time_point now);

}  // namespace kubedouble::fake
