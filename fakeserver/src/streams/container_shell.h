// What runs when a client execs into a simulated container: a small, deterministic command set
// over the container's own file tree (file_tree.h). Nothing is run on the host.
//
// The commands (busybox's wording for errors, as in an Alpine or busybox image; tar is GNU tar's):
//   sh|bash|ash|dash [-c SCRIPT [NAME ARGS…] | FILE]   a script; with neither, the lines of stdin
//   echo [-n] [-e] WORDS…     printf FORMAT [ARGS…] (%s %d %%, \n \t \\)
//   cat [FILE|-]…             stdin when no file is named, as it arrives
//   env [NAME=VALUE… [CMD…]]  printenv [NAME]   export NAME=VALUE…   NAME=VALUE (a shell variable)
//   pwd   cd DIR   ls [-1alAd] [PATH…]   mkdir [-p] DIR…   rm [-rf] PATH…   touch FILE…
//   mv SRC… DEST   cp [-r] SRC… DEST   chmod OCTAL PATH…
//   head, tail, wc, grep                  (text_commands.h)
//   test / [ EXPR ]           -e -f -d -s FILE, -z -n STR, S = S, S != S, N -eq|-ne|-lt|-le|-gt|-ge
//   N, ! true  false  :  exit [N]  sleep SECONDS (on the server's clock) hostname  whoami  uname
//   date tar  c|x|t [v] [m] [o] f ARCHIVE [-C DIR] [--no-same-owner] [--no-same-permissions]
//   [PATH…]
//        (ARCHIVE "-" is stdin or stdout; enough for `kubectl cp` both ways)
// Scripts: statements separated by `;`, `&`, line ends, `&&` and `||`; pipelines with `|`;
// redirections `>`, `>>`, `<`, `2>`, `2>>`, `2>&1`, `>&2`; '…' and "…" quoting, backslash escapes,
// `$NAME`, `${NAME}`, `$?`, `$0`…`$9`, `$#`; `#` comments. No globbing, no loops, no `$(…)`.
// An unknown command in a script is `sh: NAME: not found`, status 127. Run directly (not through
// a shell), an unknown program fails as the container runtime fails it: the OCI runtime's
// message on stdout, status 126.
//
// The environment is what a container's process gets: PATH, HOSTNAME (the pod's name), TERM with
// a terminal, the container's env (`value` entries; `valueFrom` is not resolved), HOME=/root.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "file_tree.h"

namespace kubedouble::fake {

// Where a command's input comes from and its output goes.
struct ShellIO {
  // The next piece of stdin (blocking), nullopt at its end.
  std::function<std::optional<std::string>()> read;
  std::function<void(std::string_view)> out;
  std::function<void(std::string_view)> err;
  // Waits `d` on the server's clock; false when the exec ended meanwhile (the client went).
  std::function<bool(std::chrono::nanoseconds d)> sleep;
};

// The container a command runs in.
struct ContainerProcess {
  FileTree* files = nullptr;
  std::vector<std::pair<std::string, std::string>> env;  // the process's environment, in order
  std::string cwd = "/";
  std::string hostname;
  bool tty = false;
  std::function<std::chrono::system_clock::time_point()> now;
  int depth = 0;  // how many shells deep (a script that runs itself stops at kMaxShellDepth)
};

// The deepest nesting of shells and scripts; deeper is `sh: too deeply nested`, status 2.
inline constexpr int kMaxShellDepth = 64;

// The environment of a process in container `container` (its spec) of pod `pod_name`.
std::vector<std::pair<std::string, std::string>> ContainerEnvironment(
    const std::string& pod_name, const nlohmann::json& container, bool tty);

// Runs `argv` in `process` as the container runtime runs an exec; its exit status (0–255).
int RunInContainer(const std::vector<std::string>& argv, ContainerProcess& process, ShellIO& io);

}  // namespace kubedouble::fake
