// The script language of the simulated container's shell (container_shell.h): a script's
// tokens, then its statements. Words keep their quotes and `$` references; the shell expands
// them when it runs each command, so `$?` sees the statement before.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::fake::shell {

struct Token {
  bool op = false;
  std::string text;  // a word's raw text (quotes kept) or the operator
};

// The tokens of `s`: words and the operators ; && || | < > >> 2> 2>> 2>&1 >&2 (a line end and a
// single & are ";"), `#` comments dropped. nullopt with `error` set for an unterminated quote.
std::optional<std::vector<Token>> Tokenize(std::string_view s, std::string& error);

struct Redirect {
  std::string op;  // < > >> 2> 2>> 2>&1 >&2
  std::string target;
};

struct SimpleCommand {
  std::vector<std::string> words;  // raw
  std::vector<Redirect> redirects;
};

struct Pipeline {
  std::string connector;  // "" (always), "&&", "||": how it depends on the one before
  std::vector<SimpleCommand> commands;
};

// The pipelines of `tokens`, or nullopt with `error` set in busybox's words
// (`syntax error: unexpected "&&"`).
std::optional<std::vector<Pipeline>> Parse(const std::vector<Token>& tokens, std::string& error);

}  // namespace kubedouble::fake::shell
