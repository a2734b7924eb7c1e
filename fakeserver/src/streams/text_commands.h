// The simulated container's text tools (container_shell.h): head, tail, wc and grep, over whole
// texts — the files named, or stdin when none (or "-") is.
//   head [-n N | -c N | -N] [FILE…]        the first N lines (10) or bytes
//   tail [-n [+]N | -c [+]N | -N] [FILE…]  the last N lines (10) or bytes; +N from the Nth on
//                                          (kubectl cp --retries reads `tar cf - P | tail -c+N`)
//   wc [-lwc] [FILE…]                      lines, words, bytes (all three when none is asked)
//   grep [-viqcnEF] PATTERN [FILE…]        lines matching PATTERN (RE2, Go's syntax); status 0
//                                          when a line matched, 1 when none, 2 for an error
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kubedouble::fake {

struct TextOutcome {
  std::string out;
  std::string err;
  int status = 0;
};

// Whether `name` is one of the tools above.
bool IsTextCommand(const std::string& name);

// Runs tool `name` with `args` (the words after its name). `open(FILE)`: the file's content, or
// nullopt with the error ("No such file or directory"); `read_stdin()`: all of stdin.
TextOutcome RunTextCommand(
    const std::string& name, const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string& file, std::string& error)>&
        open,
    const std::function<std::string()>& read_stdin);

}  // namespace kubedouble::fake
