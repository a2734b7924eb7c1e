#include "kubedouble/fakeserver/container_log.h"

#include <fmt/format.h>
#include <kubedouble/base/rfc3339.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "kubedouble/fakeserver/clock.h"

namespace kubedouble::fake {

namespace {

using json = nlohmann::json;
using Env = std::map<std::string, std::string>;
using std::chrono::nanoseconds;

Env EnvOf(const json& container) {
  Env env;
  const json& list = container.value("env", json::array());
  if (!list.is_array()) return env;
  for (const auto& e : list) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) continue;
    env[e["name"].get<std::string>()] = e.value("value", "");
  }
  return env;
}

// Kubernetes' expansion of command and args: $(NAME) from the env, $$ an escaped $.
std::string ExpandReferences(const std::string& s, const Env& env) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '(') {
      auto close = s.find(')', i + 2);
      if (close != std::string::npos) {
        auto it = env.find(s.substr(i + 2, close - i - 2));
        if (it != env.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string> Strings(const json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const auto& s : v) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

std::string Basename(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The words of `echo` as it writes them: options -n, -e, -E dropped.
std::string EchoText(std::vector<std::string>::const_iterator begin,
                     std::vector<std::string>::const_iterator end) {
  while (begin != end && (*begin == "-n" || *begin == "-e" || *begin == "-E")) ++begin;
  std::string text;
  for (auto it = begin; it != end; ++it) {
    if (it != begin) text += ' ';
    text += *it;
  }
  return text;
}

// Statements of a shell script: split on ; && || and line ends outside quotes.
std::vector<std::string> Statements(const std::string& script) {
  std::vector<std::string> out;
  std::string current;
  char quote = 0;
  for (size_t i = 0; i < script.size(); ++i) {
    char c = script[i];
    if (quote) {
      if (c == quote) quote = 0;
      current += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      current += c;
      continue;
    }
    bool pair = i + 1 < script.size() &&
                ((c == '&' && script[i + 1] == '&') || (c == '|' && script[i + 1] == '|'));
    if (c == ';' || c == '\n' || pair) {
      out.push_back(current);
      current.clear();
      if (pair) ++i;
      continue;
    }
    current += c;
  }
  out.push_back(current);
  return out;
}

// A variable's name at s[i] ($NAME or ${NAME}); the value, and i moved past it.
std::string Variable(const std::string& s, size_t& i, const Env& env) {
  size_t start = i + 1;
  std::string name;
  if (start < s.size() && s[start] == '{') {
    auto close = s.find('}', start);
    if (close == std::string::npos) return "$";
    name = s.substr(start + 1, close - start - 1);
    i = close;
  } else {
    size_t end = start;
    while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_'))
      ++end;
    if (end == start) return "$";
    name = s.substr(start, end - start);
    i = end - 1;
  }
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

// The words of one statement, quotes removed and variables expanded.
std::vector<std::string> Words(const std::string& statement, const Env& env) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < statement.size(); ++i) {
    char c = statement[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word += c;
      }
      continue;
    }
    if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < statement.size() &&
                 (statement[i + 1] == '"' || statement[i + 1] == '\\' || statement[i + 1] == '$')) {
        word += statement[++i];
      } else if (c == '$') {
        word += Variable(statement, i, env);
      } else {
        word += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\' && i + 1 < statement.size()) {
      word += statement[++i];
    } else if (c == '$') {
      word += Variable(statement, i, env);
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

std::optional<nanoseconds> Seconds(const std::string& text) {
  try {
    size_t used = 0;
    double s = std::stod(text, &used);
    if (used != text.size() || s < 0) return std::nullopt;
    return std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(s));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The output of `sh -c script`, each line at its offset from the start.
// Returns the offset at which the script ends.
nanoseconds RunScript(const std::string& script, const Env& env,
                      std::vector<std::pair<nanoseconds, std::string>>& out) {
  nanoseconds at{0};
  for (const auto& statement : Statements(script)) {
    auto words = Words(statement, env);
    if (words.empty()) continue;
    const std::string& cmd = words[0];
    if (cmd == "echo") {
      out.emplace_back(at, EchoText(words.begin() + 1, words.end()));
    } else if (cmd == "printf" && words.size() > 1) {
      std::string text = words[1], line;
      for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'n') {
          out.emplace_back(at, line);
          line.clear();
          ++i;
        } else {
          line += text[i];
        }
      }
      if (!line.empty()) out.emplace_back(at, line);
    } else if (cmd == "sleep" && words.size() > 1) {
      if (auto d = Seconds(words[1])) at += *d;
    } else if (cmd == "exit" || cmd == "exec") {
      return at;
    }
  }
  return at;
}

// The program's output lines, at their offsets from the start; `runs` (optional) gets how long
// it runs.
std::vector<std::pair<nanoseconds, std::string>> ProgramOutput(const json& container,
                                                               nanoseconds* runs = nullptr) {
  std::vector<std::pair<nanoseconds, std::string>> out;
  const Env env = EnvOf(container);
  std::vector<std::string> words;
  for (const char* field : {"command", "args"}) {
    for (auto& w : Strings(container.value(field, json())))
      words.push_back(ExpandReferences(w, env));
  }
  if (words.empty()) {
    out.emplace_back(nanoseconds{0},
                     fmt::format("Started {} (image {})", container.value("name", ""),
                                 container.value("image", "")));
    return out;
  }
  const std::string program = Basename(words[0]);
  if (program == "echo") {
    out.emplace_back(nanoseconds{0}, EchoText(words.begin() + 1, words.end()));
  } else if ((program == "sh" || program == "bash" || program == "ash" || program == "dash") &&
             words.size() > 2 && words[1] == "-c") {
    nanoseconds end = RunScript(words[2], env, out);
    if (runs) *runs = end;
  }
  return out;
}

// The annotation that scripts this container's log, "" when none.
std::string ScriptOf(const json& pod, const std::string& container) {
  const json* annotations = nullptr;
  if (pod.contains("metadata") && pod["metadata"].is_object() &&
      pod["metadata"].contains("annotations") && pod["metadata"]["annotations"].is_object()) {
    annotations = &pod["metadata"]["annotations"];
  }
  if (!annotations) return "";
  for (const std::string& key :
       {std::string(kLogAnnotation) + "." + container, std::string(kLogAnnotation)}) {
    if (annotations->contains(key) && (*annotations)[key].is_string()) return (*annotations)[key];
  }
  return "";
}

std::optional<nanoseconds> Duration(const std::string& text) {
  try {
    auto d = ParseDuration(text);
    if (d.count() < 0) return std::nullopt;
    return d;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void Replace(std::string& s, const std::string& what, const std::string& with) {
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

}  // namespace

nanoseconds ProgramRunTime(const json& container) {
  nanoseconds runs{0};
  ProgramOutput(container, &runs);
  return runs;
}

std::string LogTimestamp(TimePoint t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto nanos = std::chrono::duration_cast<nanoseconds>(t - secs).count();
  std::string whole = base::FormatRfc3339(secs);  // ...Z
  whole.pop_back();
  return fmt::format("{}.{:09}Z", whole, nanos);
}

std::vector<LogLine> ContainerLogLines(const json& pod, const json& container, TimePoint started,
                                       TimePoint until, std::optional<TimePoint> after) {
  std::vector<std::pair<nanoseconds, std::string>> lines = ProgramOutput(container);
  const nanoseconds run = until - started;
  // Lines at or before `skip` are not wanted (none when no `after`).
  const nanoseconds skip = after ? nanoseconds(*after - started) : nanoseconds::min();
  std::vector<LogLine> out;
  auto keep = [&](nanoseconds offset, std::string text) {
    if (offset <= run && offset > skip) {
      out.push_back(
          {started + std::chrono::duration_cast<TimePoint::duration>(offset), std::move(text)});
    }
  };
  for (auto& [offset, text] : lines) keep(offset, std::move(text));

  const std::string script = ScriptOf(pod, container.value("name", ""));
  nanoseconds at{0};
  size_t start = 0;
  while (start < script.size()) {
    size_t end = script.find('\n', start);
    if (end == std::string::npos) end = script.size();
    std::string line = script.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto space = line.find(' ');
    if (line.rfind("every ", 0) == 0) {
      auto second = line.find(' ', 6);
      auto every =
          Duration(line.substr(6, second == std::string::npos ? std::string::npos : second - 6));
      if (every && every->count() > 0 && second != std::string::npos) {
        const std::string text = line.substr(second + 1);
        if (run < at + *every) break;
        int64_t last = (run - at) / *every;  // repetitions written by `until`
        int64_t first = std::max<int64_t>(1, last - static_cast<int64_t>(kMaxLogLines) + 1);
        if (skip >= at) first = std::max<int64_t>(first, (skip - at) / *every + 1);
        for (int64_t n = first; n <= last; ++n) {
          std::string t = text;
          Replace(t, "{n}", std::to_string(n));
          keep(at + *every * n, std::move(t));
        }
        break;
      }
    } else if (line.rfind('+', 0) == 0 && space != std::string::npos) {
      if (auto d = Duration(line.substr(1, space - 1))) {
        at = *d;
        keep(at, line.substr(space + 1));
        continue;
      }
    }
    keep(at, line);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LogLine& a, const LogLine& b) { return a.at < b.at; });
  if (out.size() > kMaxLogLines) out.erase(out.begin(), out.end() - kMaxLogLines);
  return out;
}

}  // namespace kubedouble::fake
