// The simulated container's commands (container_shell.h). Over 600 lines: one interpreter, the
// Shell class, whose commands all work on its state (the working directory, the variables, the
// file tree, the nesting depth); the script language and the text commands have files of their
// own (shell_script.h, text_commands.h), and each command here is one function found by name.
#include "container_shell.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <map>

#include "shell_script.h"
#include "tar_archive.h"
#include "text_commands.h"

namespace kubedouble::fake {

namespace {

using shell::Parse;
using shell::Pipeline;
using shell::Redirect;
using shell::SimpleCommand;
using shell::Tokenize;
using TimePoint = std::chrono::system_clock::time_point;

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool IsName(std::string_view s) {
  return !s.empty() && IsNameStart(s[0]) && std::all_of(s.begin(), s.end(), IsNameChar);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::optional<long long> ParseInt(std::string_view s) {
  long long v = 0;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// ---- the shell ------------------------------------------------------------------------------

std::string ModeText(const FileNode& n) {
  std::string s = n.dir ? "d" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int bit = 8; bit >= 0; --bit) s += (n.mode >> bit) & 1 ? rwx[8 - bit] : '-';
  return s;
}

std::string TimeText(TimePoint t, const char* format) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// Backslash escapes of echo -e and printf.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    switch (s[++i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      case 'a':
        out += '\a';
        break;
      case '0':
        out += '\0';
        break;
      default:
        out += '\\';
        out += s[i];
        break;
    }
  }
  return out;
}

class Shell {
 public:
  Shell(ContainerProcess process, std::vector<std::string> args)
      : p_(std::move(process)), args_(std::move(args)) {
    ++p_.depth;
  }

  bool exited() const { return exited_; }

  int RunScript(std::string_view script, ShellIO& io) {
    std::string error;
    auto tokens = Tokenize(script, error);
    std::optional<std::vector<Pipeline>> pipelines;
    if (tokens) pipelines = Parse(*tokens, error);
    if (!pipelines) {
      io.err(fmt::format("sh: {}\n", error));
      return last_ = 2;
    }
    for (const Pipeline& pipeline : *pipelines) {
      if (exited_) break;
      if (pipeline.connector == "&&" && last_ != 0) continue;
      if (pipeline.connector == "||" && last_ == 0) continue;
      last_ = RunPipeline(pipeline, io);
    }
    return exited_ ? exit_code_ : last_;
  }

  // Runs one program: a builtin, a script file of the tree, or "not found".
  int RunArgv(const std::vector<std::string>& argv, ShellIO& io, bool in_script);

 private:
  std::optional<std::string> Lookup(const std::string& name) const {
    if (auto it = locals_.find(name); it != locals_.end()) return it->second;
    for (const auto& [k, v] : p_.env) {
      if (k == name) return v;
    }
    return std::nullopt;
  }

  void SetEnv(const std::string& name, const std::string& value) {
    locals_.erase(name);
    for (auto& [k, v] : p_.env) {
      if (k == name) {
        v = value;
        return;
      }
    }
    p_.env.emplace_back(name, value);
  }

  // `$...` at s[i] (s[i] == '$'): appends the value to `out` and moves `i` past it.
  void ExpandVariable(std::string_view s, size_t& i, std::string& out) const {
    ++i;
    if (i >= s.size()) {
      out += '$';
      return;
    }
    char c = s[i];
    if (c == '?') {
      out += std::to_string(last_);
      ++i;
    } else if (c == '#') {
      out += std::to_string(args_.empty() ? 0 : args_.size() - 1);
      ++i;
    } else if (c == '$') {
      out += "1";
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t n = static_cast<size_t>(c - '0');
      if (n < args_.size()) out += args_[n];
      ++i;
    } else if (c == '{') {
      size_t close = s.find('}', i);
      if (close == std::string_view::npos) {
        out += "${";
        ++i;
        return;
      }
      std::string name(s.substr(i + 1, close - i - 1));
      out += Lookup(name).value_or("");
      i = close + 1;
    } else if (IsNameStart(c)) {
      size_t end = i;
      while (end < s.size() && IsNameChar(s[end])) ++end;
      out += Lookup(std::string(s.substr(i, end - i))).value_or("");
      i = end;
    } else {
      out += '$';
    }
  }

  // A raw word with its quotes removed and its variables expanded; nullopt when it expanded to
  // nothing unquoted (the word goes).
  std::optional<std::string> Expand(std::string_view s) const {
    std::string out;
    bool quoted = false;
    size_t i = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == '\'') {
        size_t close = s.find('\'', i + 1);
        out += s.substr(i + 1, close - i - 1);
        i = close + 1;
        quoted = true;
      } else if (c == '"') {
        quoted = true;
        ++i;
        while (i < s.size() && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < s.size() &&
              std::string_view("$`\"\\\n").find(s[i + 1]) != std::string_view::npos) {
            out += s[i + 1];
            i += 2;
          } else if (s[i] == '$') {
            ExpandVariable(s, i, out);
          } else {
            out += s[i++];
          }
        }
        ++i;
      } else if (c == '\\' && i + 1 < s.size()) {
        out += s[i + 1];
        i += 2;
        quoted = true;
      } else if (c == '$') {
        ExpandVariable(s, i, out);
      } else {
        out += c;
        ++i;
      }
    }
    if (out.empty() && !quoted) return std::nullopt;
    return out;
  }

  int RunPipeline(const Pipeline& pipeline, ShellIO& io) {
    std::optional<std::string> piped;  // the output of the command before
    int status = 0;
    for (size_t i = 0; i < pipeline.commands.size() && !exited_; ++i) {
      const bool last = i + 1 == pipeline.commands.size();
      std::string captured;
      ShellIO cio = io;
      if (piped) cio.read = OneShot(std::move(*piped));
      if (!last) cio.out = [&captured](std::string_view d) { captured.append(d); };
      status = RunCommand(pipeline.commands[i], cio);
      piped = std::move(captured);
    }
    return status;
  }

  static std::function<std::optional<std::string>()> OneShot(std::string data) {
    auto left = std::make_shared<std::optional<std::string>>(std::move(data));
    return [left]() {
      std::optional<std::string> out = std::move(*left);
      left->reset();
      return out;
    };
  }

  int RunCommand(const SimpleCommand& command, ShellIO& io) {
    std::vector<std::string> words;
    for (const std::string& raw : command.words) {
      if (auto w = Expand(raw)) words.push_back(std::move(*w));
    }
    // Redirections: checked before the command runs, written after.
    ShellIO cio = io;
    struct Sink {
      std::string path;
      bool append;
      std::string data;
    };
    std::vector<std::shared_ptr<Sink>> sinks;
    for (const Redirect& r : command.redirects) {
      if (r.op == "2>&1") {
        cio.err = cio.out;
        continue;
      }
      if (r.op == ">&2") {
        cio.out = cio.err;
        continue;
      }
      std::string target = Expand(r.target).value_or("");
      std::string path = FileTree::Absolute(p_.cwd, target);
      if (r.op == "<") {
        std::optional<FileNode> node = p_.files->Stat(path);
        if (!node || node->dir) {
          io.err(fmt::format("sh: can't open '{}': {}\n", target,
                             node ? FileTree::kIsDir : FileTree::kNoEntry));
          return 1;
        }
        cio.read = OneShot(node->data);
        continue;
      }
      const bool append = r.op.size() >= 2 && r.op.substr(r.op.size() - 2) == ">>";
      std::string err = p_.files->WriteFile(path, "", true, p_.now());
      if (!err.empty()) {
        io.err(fmt::format("sh: can't create {}: {}\n", target,
                           err == FileTree::kNoEntry ? "nonexistent directory" : err));
        return 1;
      }
      auto sink = std::make_shared<Sink>(Sink{path, append, ""});
      sinks.push_back(sink);
      auto write = [sink](std::string_view d) { sink->data.append(d); };
      if (r.op[0] == '2') {
        cio.err = write;
      } else {
        cio.out = write;
      }
    }
    // Leading NAME=VALUE words: shell variables alone, the command's environment before one.
    size_t first = 0;
    std::vector<std::pair<std::string, std::string>> assignments;
    while (first < words.size()) {
      size_t eq = words[first].find('=');
      if (eq == std::string::npos || !IsName(std::string_view(words[first]).substr(0, eq))) break;
      assignments.emplace_back(words[first].substr(0, eq), words[first].substr(eq + 1));
      ++first;
    }
    int status = 0;
    if (first == words.size()) {
      for (auto& [k, v] : assignments) {
        if (Lookup(k) && !locals_.count(k)) {
          SetEnv(k, v);
        } else {
          locals_[k] = v;
        }
      }
      status = 0;
    } else if (!assignments.empty()) {
      ContainerProcess child = p_;
      Shell sub(child, args_);
      for (auto& [k, v] : assignments) sub.SetEnv(k, v);
      status = sub.RunArgv({words.begin() + static_cast<long>(first), words.end()}, cio, true);
    } else {
      status = RunArgv(words, cio, true);
    }
    for (const auto& sink : sinks) {
      p_.files->WriteFile(sink->path, sink->data, sink->append, p_.now());
    }
    return status;
  }

  std::string ReadAll(ShellIO& io) {
    std::string all;
    while (auto chunk = io.read()) all += *chunk;
    return all;
  }

  int Sh(const std::vector<std::string>& argv, ShellIO& io);
  int Interactive(ShellIO& io);
  int Echo(const std::vector<std::string>& argv, ShellIO& io);
  int Printf(const std::vector<std::string>& argv, ShellIO& io);
  int Cat(const std::vector<std::string>& argv, ShellIO& io);
  int Env(const std::vector<std::string>& argv, ShellIO& io);
  int Ls(const std::vector<std::string>& argv, ShellIO& io);
  int Mkdir(const std::vector<std::string>& argv, ShellIO& io);
  int Rm(const std::vector<std::string>& argv, ShellIO& io);
  int Touch(const std::vector<std::string>& argv, ShellIO& io);
  int Cd(const std::vector<std::string>& argv, ShellIO& io);
  int Test(std::vector<std::string> args, ShellIO& io);
  int Sleep(const std::vector<std::string>& argv, ShellIO& io);
  int Exit(const std::vector<std::string>& argv, ShellIO& io);
  int Uname(const std::vector<std::string>& argv, ShellIO& io);
  int Text(const std::string& name, const std::vector<std::string>& argv, ShellIO& io);
  int Move(const std::vector<std::string>& argv, ShellIO& io);
  int Copy(const std::vector<std::string>& argv, ShellIO& io);
  int Chmod(const std::vector<std::string>& argv, ShellIO& io);
  // Where `target` puts `source`: inside it when it is a directory.
  std::string Destination(const std::string& source, const std::string& target) const;
  std::string CopyTree(const std::string& from, const std::string& to);
  int Tar(const std::vector<std::string>& argv, ShellIO& io);

  ContainerProcess p_;
  std::vector<std::string> args_;  // $0, $1, …
  std::map<std::string, std::string> locals_;
  int last_ = 0;
  bool exited_ = false;
  int exit_code_ = 0;
};

int Shell::RunArgv(const std::vector<std::string>& argv, ShellIO& io, bool in_script) {
  if (argv.empty()) return 0;
  if (p_.depth > kMaxShellDepth) {
    io.err("sh: too deeply nested\n");
    return 2;
  }
  const std::string name = BaseName(argv[0]);
  if (name == "sh" || name == "bash" || name == "ash" || name == "dash") return Sh(argv, io);
  if (name == "echo") return Echo(argv, io);
  if (name == "printf") return Printf(argv, io);
  if (name == "cat") return Cat(argv, io);
  if (name == "env") return Env(argv, io);
  if (name == "printenv") {
    if (argv.size() == 1) return Env({"env"}, io);
    auto v = Lookup(argv[1]);
    if (!v || locals_.count(argv[1])) return 1;
    io.out(*v + "\n");
    return 0;
  }
  if (name == "export") {
    for (size_t i = 1; i < argv.size(); ++i) {
      size_t eq = argv[i].find('=');
      if (eq == std::string::npos) {
        if (auto v = Lookup(argv[i])) SetEnv(argv[i], *v);
      } else {
        SetEnv(argv[i].substr(0, eq), argv[i].substr(eq + 1));
      }
    }
    return 0;
  }
  if (name == "pwd") {
    io.out(p_.cwd + "\n");
    return 0;
  }
  if (name == "cd") return Cd(argv, io);
  if (name == "ls") return Ls(argv, io);
  if (name == "mkdir") return Mkdir(argv, io);
  if (name == "rm") return Rm(argv, io);
  if (name == "touch") return Touch(argv, io);
  if (name == "test") return Test({argv.begin() + 1, argv.end()}, io);
  if (name == "[") {
    if (argv.back() != "]") {
      io.err("sh: missing ]\n");
      return 2;
    }
    return Test({argv.begin() + 1, argv.end() - 1}, io);
  }
  if (name == "true" || name == ":") return 0;
  if (name == "false") return 1;
  if (name == "exit") return Exit(argv, io);
  if (name == "sleep") return Sleep(argv, io);
  if (name == "hostname") {
    io.out(p_.hostname + "\n");
    return 0;
  }
  if (name == "whoami") {
    io.out("root\n");
    return 0;
  }
  if (name == "uname") return Uname(argv, io);
  if (name == "date") {
    io.out(TimeText(p_.now(), "%a %b %e %H:%M:%S UTC %Y") + "\n");
    return 0;
  }
  if (name == "tar") return Tar(argv, io);
  if (IsTextCommand(name)) return Text(name, argv, io);
  if (name == "mv") return Move(argv, io);
  if (name == "cp") return Copy(argv, io);
  if (name == "chmod") return Chmod(argv, io);
  // A script of the tree, started by path.
  if (argv[0].find('/') != std::string::npos) {
    std::optional<FileNode> node = p_.files->Stat(FileTree::Absolute(p_.cwd, argv[0]));
    if (node && !node->dir && node->data.rfind("#!", 0) == 0) {
      ContainerProcess child = p_;
      Shell sub(child, argv);
      return sub.RunScript(node->data, io);
    }
    if (!in_script) {
      io.out(
          fmt::format("OCI runtime exec failed: exec failed: unable to start container process: "
                      "exec: \"{}\": stat {}: no such file or directory: unknown\r\n",
                      argv[0], argv[0]));
      return 126;
    }
    io.err(fmt::format("sh: {}: not found\n", argv[0]));
    return 127;
  }
  if (!in_script) {
    io.out(
        fmt::format("OCI runtime exec failed: exec failed: unable to start container process: "
                    "exec: \"{}\": executable file not found in $PATH: unknown\r\n",
                    argv[0]));
    return 126;
  }
  io.err(fmt::format("sh: {}: not found\n", argv[0]));
  return 127;
}

int Shell::Sh(const std::vector<std::string>& argv, ShellIO& io) {
  size_t i = 1;
  std::optional<std::string> script;
  for (; i < argv.size() && argv[i].size() > 1 && argv[i][0] == '-'; ++i) {
    if (argv[i] == "-c") {
      if (i + 1 >= argv.size()) {
        io.err("sh: -c requires an argument\n");
        return 2;
      }
      script = argv[++i];
      ++i;
      break;
    }
    // -e, -x, -i, -l, -s: accepted, no effect
  }
  std::vector<std::string> args;
  ContainerProcess child = p_;
  if (script) {
    args.assign(argv.begin() + static_cast<long>(std::min(i, argv.size())), argv.end());
    if (args.empty()) args.push_back(BaseName(argv[0]));
    Shell sub(child, args);
    return sub.RunScript(*script, io);
  }
  if (i < argv.size()) {
    const std::string& file = argv[i];
    std::optional<FileNode> node = p_.files->Stat(FileTree::Absolute(p_.cwd, file));
    if (!node || node->dir) {
      io.err(fmt::format("sh: can't open '{}': {}\n", file,
                         node ? FileTree::kIsDir : FileTree::kNoEntry));
      return 2;
    }
    Shell sub(child, {argv.begin() + static_cast<long>(i), argv.end()});
    return sub.RunScript(node->data, io);
  }
  Shell sub(child, {BaseName(argv[0])});
  return sub.Interactive(io);
}

// A shell reading its commands from stdin, one line at a time as they arrive. On a terminal it
// prompts ("/ # ") and echoes what is typed; Enter arrives as "\r", Ctrl-D ends it.
int Shell::Interactive(ShellIO& io) {
  std::string line;
  auto prompt = [&] {
    if (p_.tty) io.out(p_.cwd + " # ");
  };
  prompt();
  while (!exited_) {
    std::optional<std::string> chunk = io.read();
    if (!chunk) break;
    bool eof = false;
    for (char c : *chunk) {
      if (p_.tty && c == 0x04 && line.empty()) {
        eof = true;
        break;
      }
      if (c == '\r' || c == '\n') {
        if (p_.tty) io.out("\n");
        last_ = RunScript(line, io);
        line.clear();
        if (exited_) break;
        prompt();
        continue;
      }
      if (p_.tty) io.out(std::string_view(&c, 1));
      line += c;
    }
    if (eof) break;
  }
  if (!exited_ && !line.empty()) last_ = RunScript(line, io);
  if (p_.tty && !exited_) io.out("exit\n");
  return exited_ ? exit_code_ : last_;
}

int Shell::Echo(const std::vector<std::string>& argv, ShellIO& io) {
  bool newline = true;
  bool escapes = false;
  size_t i = 1;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 2 || a[0] != '-' || a.find_first_not_of("neE", 1) != std::string::npos) break;
    for (char c : a.substr(1)) {
      if (c == 'n') newline = false;
      if (c == 'e') escapes = true;
      if (c == 'E') escapes = false;
    }
  }
  std::string text;
  for (size_t j = i; j < argv.size(); ++j) {
    if (j > i) text += ' ';
    text += escapes ? Unescape(argv[j]) : argv[j];
  }
  if (newline) text += '\n';
  io.out(text);
  return 0;
}

int Shell::Printf(const std::vector<std::string>& argv, ShellIO& io) {
  if (argv.size() < 2) {
    io.err("printf: usage: printf FORMAT [ARGUMENT]...\n");
    return 1;
  }
  const std::string format = Unescape(argv[1]);
  size_t next = 2;
  std::string out;
  do {
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%' || i + 1 >= format.size()) {
        out += format[i];
        continue;
      }
      char conv = format[++i];
      std::string arg = next < argv.size() ? argv[next] : "";
      if (conv == '%') {
        out += '%';
        continue;
      }
      ++next;
      if (conv == 'd' || conv == 'i') {
        out += std::to_string(ParseInt(arg).value_or(0));
      } else {
        out += arg;
      }
    }
  } while (next < argv.size());
  io.out(out);
  return 0;
}

int Shell::Cat(const std::vector<std::string>& argv, ShellIO& io) {
  std::vector<std::string> files(argv.begin() + 1, argv.end());
  if (files.empty()) files.push_back("-");
  int status = 0;
  for (const std::string& f : files) {
    if (f == "-") {
      while (auto chunk = io.read()) io.out(*chunk);
      continue;
    }
    std::optional<FileNode> node = p_.files->Stat(FileTree::Absolute(p_.cwd, f));
    if (!node) {
      io.err(fmt::format("cat: can't open '{}': {}\n", f, FileTree::kNoEntry));
      status = 1;
    } else if (node->dir) {
      io.err(fmt::format("cat: read error: {}\n", FileTree::kIsDir));
      status = 1;
    } else {
      io.out(node->data);
    }
  }
  return status;
}

int Shell::Env(const std::vector<std::string>& argv, ShellIO& io) {
  ContainerProcess child = p_;
  Shell sub(child, args_);
  size_t i = 1;
  for (; i < argv.size(); ++i) {
    size_t eq = argv[i].find('=');
    if (eq == std::string::npos || eq == 0) break;
    sub.SetEnv(argv[i].substr(0, eq), argv[i].substr(eq + 1));
  }
  if (i < argv.size())
    return sub.RunArgv({argv.begin() + static_cast<long>(i), argv.end()}, io, true);
  std::string text;
  for (const auto& [k, v] : sub.p_.env) text += k + "=" + v + "\n";
  io.out(text);
  return 0;
}

int Shell::Ls(const std::vector<std::string>& argv, ShellIO& io) {
  bool all = false, almost_all = false, long_form = false, dir_itself = false;
  std::vector<std::string> paths;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 1 && a[0] == '-') {
      for (char c : a.substr(1)) {
        if (c == 'a')
          all = true;
        else if (c == 'A')
          almost_all = true;
        else if (c == 'l')
          long_form = true;
        else if (c == 'd')
          dir_itself = true;
        else if (c != '1') {
          io.err(fmt::format("ls: unrecognized option: {}\n", c));
          return 1;
        }
      }
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) paths.push_back(".");
  auto line = [&](const std::string& name, const FileNode& n) {
    if (!long_form) return name + "\n";
    return fmt::format("{} {:>4} {:<8} {:<8} {:>9} {} {}\n", ModeText(n), n.dir ? 2 : 1, "root",
                       "root", n.dir ? size_t{4096} : n.data.size(),
                       TimeText(n.mtime, "%b %e %H:%M"), name);
  };
  int status = 0;
  std::string files_text, dirs_text;
  size_t dir_count = 0;
  for (const std::string& p : paths) {
    const std::string abs = FileTree::Absolute(p_.cwd, p);
    std::optional<FileNode> node = p_.files->Stat(abs);
    if (!node) {
      io.err(fmt::format("ls: {}: {}\n", p, FileTree::kNoEntry));
      status = 1;
      continue;
    }
    if (!node->dir || dir_itself) {
      files_text += line(p, *node);
      continue;
    }
    ++dir_count;
    std::string text;
    if (paths.size() > 1) text += p + ":\n";
    if (long_form) text += "total 0\n";
    if (all) {
      text += line(".", *node);
      text += line("..", p_.files->Stat(FileTree::Absolute(abs, "..")).value_or(*node));
    }
    for (const std::string& child : p_.files->List(abs).value_or(std::vector<std::string>{})) {
      if (child[0] == '.' && !all && !almost_all) continue;
      if (auto c = p_.files->Stat(abs == "/" ? "/" + child : abs + "/" + child)) {
        text += line(child, *c);
      }
    }
    if (!dirs_text.empty()) dirs_text += "\n";
    dirs_text += text;
  }
  if (!files_text.empty() && dir_count > 0) files_text += "\n";
  io.out(files_text + dirs_text);
  return status;
}

int Shell::Mkdir(const std::vector<std::string>& argv, ShellIO& io) {
  bool parents = false;
  int status = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == "-p") {
      parents = true;
      continue;
    }
    std::string err = p_.files->MakeDir(FileTree::Absolute(p_.cwd, argv[i]), parents, p_.now());
    if (!err.empty()) {
      io.err(fmt::format("mkdir: can't create directory '{}': {}\n", argv[i], err));
      status = 1;
    }
  }
  return status;
}

int Shell::Rm(const std::vector<std::string>& argv, ShellIO& io) {
  bool recursive = false, force = false;
  int status = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 1 && a[0] == '-') {
      recursive = recursive || a.find_first_of("rR") != std::string::npos;
      force = force || a.find('f') != std::string::npos;
      continue;
    }
    std::string err = p_.files->Remove(FileTree::Absolute(p_.cwd, a), recursive);
    if (err.empty() || (force && err == FileTree::kNoEntry)) continue;
    if (err == FileTree::kIsDir) {
      io.err(fmt::format("rm: '{}' is a directory\n", a));
    } else {
      io.err(fmt::format("rm: can't remove '{}': {}\n", a, err));
    }
    status = 1;
  }
  return status;
}

int Shell::Touch(const std::vector<std::string>& argv, ShellIO& io) {
  int status = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string path = FileTree::Absolute(p_.cwd, argv[i]);
    std::string err = p_.files->Stat(path) ? p_.files->Touch(path, p_.now())
                                           : p_.files->WriteFile(path, "", true, p_.now());
    if (!err.empty()) {
      io.err(fmt::format("touch: {}: {}\n", argv[i], err));
      status = 1;
    }
  }
  return status;
}

int Shell::Cd(const std::vector<std::string>& argv, ShellIO& io) {
  const std::string target = argv.size() > 1 ? argv[1] : Lookup("HOME").value_or("/");
  const std::string abs = FileTree::Absolute(p_.cwd, target);
  std::optional<FileNode> node = p_.files->Stat(abs);
  if (!node || !node->dir) {
    io.err(fmt::format("sh: cd: can't cd to {}: {}\n", target,
                       node ? FileTree::kNotDir : FileTree::kNoEntry));
    return 2;
  }
  p_.cwd = abs;
  return 0;
}

int Shell::Test(std::vector<std::string> args, ShellIO& io) {
  bool negate = false;
  while (!args.empty() && args[0] == "!") {
    negate = !negate;
    args.erase(args.begin());
  }
  auto result = [&](bool b) { return (b != negate) ? 0 : 1; };
  if (args.empty()) return result(false);
  if (args.size() == 1) return result(!args[0].empty());
  if (args.size() == 2) {
    const std::string& op = args[0];
    const std::string& v = args[1];
    if (op == "-z") return result(v.empty());
    if (op == "-n") return result(!v.empty());
    std::optional<FileNode> node = p_.files->Stat(FileTree::Absolute(p_.cwd, v));
    if (op == "-e") return result(node.has_value());
    if (op == "-d") return result(node && node->dir);
    if (op == "-f") return result(node && !node->dir);
    if (op == "-s") return result(node && !node->dir && !node->data.empty());
    if (op == "-r" || op == "-w") return result(node.has_value());
    if (op == "-x") return result(node && (node->dir || (node->mode & 0111)));
    io.err(fmt::format("sh: {}: unknown operand\n", op));
    return 2;
  }
  if (args.size() == 3) {
    const std::string& a = args[0];
    const std::string& op = args[1];
    const std::string& b = args[2];
    if (op == "=" || op == "==") return result(a == b);
    if (op == "!=") return result(a != b);
    auto x = ParseInt(a), y = ParseInt(b);
    if (op.size() == 3 && op[0] == '-') {
      if (!x || !y) {
        io.err(fmt::format("sh: invalid number '{}'\n", x ? b : a));
        return 2;
      }
      if (op == "-eq") return result(*x == *y);
      if (op == "-ne") return result(*x != *y);
      if (op == "-lt") return result(*x < *y);
      if (op == "-le") return result(*x <= *y);
      if (op == "-gt") return result(*x > *y);
      if (op == "-ge") return result(*x >= *y);
    }
  }
  io.err("sh: syntax error: unexpected operator\n");
  return 2;
}

int Shell::Sleep(const std::vector<std::string>& argv, ShellIO& io) {
  if (argv.size() < 2) {
    io.err("sleep: missing operand\n");
    return 1;
  }
  std::chrono::nanoseconds total{0};
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string a = argv[i];
    double unit = 1;
    if (!a.empty() && std::string_view("smhd").find(a.back()) != std::string_view::npos) {
      unit = a.back() == 's' ? 1 : a.back() == 'm' ? 60 : a.back() == 'h' ? 3600 : 86400;
      a.pop_back();
    }
    char* end = nullptr;
    double v = std::strtod(a.c_str(), &end);
    if (a.empty() || *end != '\0' || v < 0) {
      io.err(fmt::format("sleep: invalid number '{}'\n", argv[i]));
      return 1;
    }
    total += std::chrono::nanoseconds(static_cast<long long>(v * unit * 1e9));
  }
  if (!io.sleep(total)) {
    exited_ = true;
    exit_code_ = 130;
    return 130;
  }
  return 0;
}

int Shell::Exit(const std::vector<std::string>& argv, ShellIO& io) {
  int code = last_;
  if (argv.size() > 1) {
    auto n = ParseInt(argv[1]);
    if (!n || argv[1][0] == '+') {
      io.err(fmt::format("sh: exit: Illegal number: {}\n", argv[1]));
      code = 2;
    } else {
      code = static_cast<int>(*n & 0xFF);
    }
  }
  exited_ = true;
  exit_code_ = code;
  return code;
}

int Shell::Uname(const std::vector<std::string>& argv, ShellIO& io) {
  std::string flags;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].size() > 1 && argv[i][0] == '-') flags += argv[i].substr(1);
  }
  const bool all = flags.find('a') != std::string::npos;
  auto wants = [&](char c) {
    return all || flags.find(c) != std::string::npos || (flags.empty() && c == 's');
  };
  std::vector<std::string> parts;
  if (wants('s')) parts.emplace_back("Linux");
  if (wants('n')) parts.push_back(p_.hostname);
  if (wants('r')) parts.emplace_back("6.1.0-kubedouble");
  if (wants('v')) parts.emplace_back("#1 SMP");
  if (wants('m')) parts.emplace_back("x86_64");
  std::string text;
  for (const auto& p : parts) {
    if (!text.empty()) text += ' ';
    text += p;
  }
  io.out(text + "\n");
  return 0;
}

int Shell::Text(const std::string& name, const std::vector<std::string>& argv, ShellIO& io) {
  auto open = [this](const std::string& file, std::string& error) -> std::optional<std::string> {
    std::optional<FileNode> node = p_.files->Stat(FileTree::Absolute(p_.cwd, file));
    if (!node || node->dir) {
      error = node ? FileTree::kIsDir : FileTree::kNoEntry;
      return std::nullopt;
    }
    return node->data;
  };
  TextOutcome r =
      RunTextCommand(name, {argv.begin() + 1, argv.end()}, open, [&] { return ReadAll(io); });
  if (!r.out.empty()) io.out(r.out);
  if (!r.err.empty()) io.err(r.err);
  return r.status;
}

std::string Shell::Destination(const std::string& source, const std::string& target) const {
  const std::string to = FileTree::Absolute(p_.cwd, target);
  std::optional<FileNode> there = p_.files->Stat(to);
  if (!there || !there->dir) return to;
  return FileTree::Absolute(to, BaseName(FileTree::Absolute(p_.cwd, source)));
}

int Shell::Move(const std::vector<std::string>& argv, ShellIO& io) {
  std::vector<std::string> operands;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].empty() || argv[i][0] != '-') operands.push_back(argv[i]);
  }
  if (operands.size() < 2) {
    io.err("mv: missing destination\n");
    return 1;
  }
  int status = 0;
  for (size_t i = 0; i + 1 < operands.size(); ++i) {
    std::string err = p_.files->Rename(FileTree::Absolute(p_.cwd, operands[i]),
                                       Destination(operands[i], operands.back()));
    if (!err.empty()) {
      io.err(fmt::format("mv: can't rename '{}': {}\n", operands[i], err));
      status = 1;
    }
  }
  return status;
}

std::string Shell::CopyTree(const std::string& from, const std::string& to) {
  std::optional<FileNode> node = p_.files->Stat(from);
  if (!node) return FileTree::kNoEntry;
  if (!node->dir) return p_.files->WriteFile(to, node->data, false, p_.now(), node->mode);
  if (to == from || to.compare(0, from.size() + 1, from + "/") == 0) return "Invalid argument";
  if (std::string err = p_.files->MakeDir(to, true, p_.now(), node->mode); !err.empty()) {
    return err;
  }
  for (const std::string& child : p_.files->List(from).value_or(std::vector<std::string>{})) {
    std::string err = CopyTree(FileTree::Absolute(from, child), FileTree::Absolute(to, child));
    if (!err.empty()) return err;
  }
  return "";
}

int Shell::Copy(const std::vector<std::string>& argv, ShellIO& io) {
  bool recursive = false;
  std::vector<std::string> operands;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].size() > 1 && argv[i][0] == '-') {
      recursive = recursive || argv[i].find_first_of("rRa") != std::string::npos;
    } else {
      operands.push_back(argv[i]);
    }
  }
  if (operands.size() < 2) {
    io.err("cp: missing destination\n");
    return 1;
  }
  int status = 0;
  for (size_t i = 0; i + 1 < operands.size(); ++i) {
    const std::string from = FileTree::Absolute(p_.cwd, operands[i]);
    std::optional<FileNode> node = p_.files->Stat(from);
    std::string err;
    if (!node) {
      io.err(fmt::format("cp: can't stat '{}': {}\n", operands[i], FileTree::kNoEntry));
      status = 1;
      continue;
    }
    if (node->dir && !recursive) {
      io.err(fmt::format("cp: omitting directory '{}'\n", operands[i]));
      status = 1;
      continue;
    }
    err = CopyTree(from, Destination(operands[i], operands.back()));
    if (!err.empty()) {
      io.err(fmt::format("cp: can't create '{}': {}\n", operands.back(), err));
      status = 1;
    }
  }
  return status;
}

int Shell::Chmod(const std::vector<std::string>& argv, ShellIO& io) {
  if (argv.size() < 3) {
    io.err("chmod: missing operand\n");
    return 1;
  }
  uint32_t mode = 0;
  auto [end, ec] = std::from_chars(argv[1].data(), argv[1].data() + argv[1].size(), mode, 8);
  if (ec != std::errc() || end != argv[1].data() + argv[1].size() || mode > 07777) {
    io.err(fmt::format("chmod: invalid mode '{}'\n", argv[1]));
    return 1;
  }
  int status = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    std::string err = p_.files->Chmod(FileTree::Absolute(p_.cwd, argv[i]), mode);
    if (!err.empty()) {
      io.err(fmt::format("chmod: {}: {}\n", argv[i], err));
      status = 1;
    }
  }
  return status;
}

int Shell::Tar(const std::vector<std::string>& argv, ShellIO& io) {
  char mode = 0;
  bool verbose = false, touch = false;
  std::optional<std::string> file;
  std::string dir = p_.cwd;
  std::vector<std::string> pending;  // letters waiting for their argument (f, C)
  std::vector<std::string> paths;
  auto usage = [&](const std::string& what) {
    io.err("tar: " + what + "\nTry 'tar --help' or 'tar --usage' for more information.\n");
    return 2;
  };
  auto letters = [&](std::string_view group) -> std::optional<int> {
    for (char c : group) {
      switch (c) {
        case 'c':
        case 'x':
        case 't':
          if (mode && mode != c) {
            return usage(
                "You may not specify more than one '-Acdtrux', '--delete' or  '--test-label' "
                "option");
          }
          mode = c;
          break;
        case 'v':
          verbose = true;
          break;
        case 'm':
          touch = true;
          break;
        case 'o':
        case 'p':
          break;
        case 'f':
          pending.emplace_back("f");
          break;
        case 'C':
          pending.emplace_back("C");
          break;
        default:
          return usage(fmt::format("invalid option -- '{}'", c));
      }
    }
    return std::nullopt;
  };
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (!pending.empty() && (a.empty() || a[0] != '-' || a == "-")) {
      std::string what = pending.front();
      pending.erase(pending.begin());
      if (what == "f") {
        file = a;
      } else {
        dir = FileTree::Absolute(p_.cwd, a);
      }
      continue;
    }
    if (a.rfind("--", 0) == 0) {
      if (a == "--no-same-owner" || a == "--no-same-permissions" || a == "--same-owner" ||
          a == "--preserve-permissions" || a == "--touch") {
        touch = touch || a == "--touch";
        continue;
      }
      if (a.rfind("--file=", 0) == 0)
        file = a.substr(7);
      else if (a.rfind("--directory=", 0) == 0)
        dir = FileTree::Absolute(p_.cwd, a.substr(12));
      else if (a == "--create")
        mode = 'c';
      else if (a == "--extract" || a == "--get")
        mode = 'x';
      else if (a == "--list")
        mode = 't';
      else if (a == "--verbose")
        verbose = true;
      else
        return usage(fmt::format("unrecognized option '{}'", a));
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      if (auto rc = letters(std::string_view(a).substr(1))) return *rc;
      continue;
    }
    if (i == 1) {  // the old style: "cf", "xmf"
      if (auto rc = letters(a)) return *rc;
      continue;
    }
    paths.push_back(a);
  }
  if (!pending.empty())
    return usage(fmt::format("option requires an argument -- '{}'", pending[0]));
  if (!mode) {
    return usage("You must specify one of the '-Acdtrux', '--delete' or '--test-label' options");
  }
  const std::string archive_name = file.value_or("-");
  if (mode == 'c') {
    if (paths.empty()) {
      io.err(
          "tar: Cowardly refusing to create an empty archive\n"
          "Try 'tar --help' or 'tar --usage' for more information.\n");
      return 2;
    }
    TarOutcome made = TarCreate(*p_.files, dir, paths, verbose);
    io.err(made.errors);  // GNU tar says what it strips before it writes the archive
    if (archive_name == "-") {
      io.out(made.archive);
    } else {
      std::string err = p_.files->WriteFile(FileTree::Absolute(p_.cwd, archive_name), made.archive,
                                            false, p_.now());
      if (!err.empty()) {
        io.err(fmt::format("tar: {}: Cannot open: {}\ntar: Error is not recoverable: exiting now\n",
                           archive_name, err));
        return 2;
      }
    }
    return made.status;
  }
  std::string archive;
  if (archive_name == "-") {
    archive = ReadAll(io);
  } else {
    std::optional<FileNode> node = p_.files->Stat(FileTree::Absolute(p_.cwd, archive_name));
    if (!node || node->dir) {
      io.err(fmt::format("tar: {}: Cannot open: {}\ntar: Error is not recoverable: exiting now\n",
                         archive_name, node ? FileTree::kIsDir : FileTree::kNoEntry));
      return 2;
    }
    archive = node->data;
  }
  TarOutcome done = TarExtract(*p_.files, archive, dir, touch, mode == 't', verbose, p_.now());
  io.out(done.archive);
  io.err(done.errors);
  return done.status;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ContainerEnvironment(
    const std::string& pod_name, const nlohmann::json& container, bool tty) {
  std::vector<std::pair<std::string, std::string>> env;
  env.emplace_back("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  env.emplace_back("HOSTNAME", pod_name);
  if (tty) env.emplace_back("TERM", "xterm");
  if (container.is_object() && container.contains("env") && container["env"].is_array()) {
    for (const auto& e : container["env"]) {
      if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) continue;
      if (e.contains("valueFrom")) continue;
      const std::string value = e.contains("value") && e["value"].is_string()
                                    ? e["value"].get<std::string>()
                                    : std::string();
      env.emplace_back(e["name"].get<std::string>(), value);
    }
  }
  env.emplace_back("HOME", "/root");
  return env;
}

int RunInContainer(const std::vector<std::string>& argv, ContainerProcess& process, ShellIO& io) {
  Shell shell(process, {argv.empty() ? std::string("sh") : argv[0]});
  return shell.RunArgv(argv, io, false) & 0xFF;
}

}  // namespace kubedouble::fake
