#include "text_commands.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <charconv>

namespace kubedouble::fake {

namespace {

std::optional<long long> Number(std::string_view s) {
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// The lines of `text`, each with its line end (the last may have none).
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    size_t n = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return out;
}

struct Inputs {
  std::vector<std::pair<std::string, std::string>> texts;  // (name, content)
  std::string err;
  int status = 0;
};

Inputs Gather(
    const std::string& tool, const std::vector<std::string>& files,
    const std::function<std::optional<std::string>(const std::string&, std::string&)>& open,
    const std::function<std::string()>& read_stdin) {
  Inputs in;
  if (files.empty()) {
    in.texts.emplace_back("", read_stdin());
    return in;
  }
  for (const std::string& f : files) {
    if (f == "-") {
      in.texts.emplace_back("", read_stdin());
      continue;
    }
    std::string error;
    if (auto text = open(f, error)) {
      in.texts.emplace_back(f, std::move(*text));
    } else {
      in.err += fmt::format("{}: {}: {}\n", tool, f, error);
      in.status = 1;
    }
  }
  return in;
}

// head and tail: -n N, -c N, -N, and for tail +N.
TextOutcome HeadTail(
    bool head, const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string&, std::string&)>& open,
    const std::function<std::string()>& read_stdin) {
  const std::string tool = head ? "head" : "tail";
  bool bytes = false, from_start = false;
  long long count = 10;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.size() < 2 || a[0] != '-') {
      files.push_back(a);
      continue;
    }
    std::string value;
    if (a[1] == 'n' || a[1] == 'c') {
      bytes = a[1] == 'c';
      if (a.size() > 2) {
        value = a.substr(2);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      }
    } else {
      value = a.substr(1);
    }
    from_start = !head && !value.empty() && value[0] == '+';
    auto n = Number(from_start ? std::string_view(value).substr(1) : std::string_view(value));
    if (!n) return {"", fmt::format("{}: invalid number '{}'\n", tool, value), 1};
    count = *n;
  }
  Inputs in = Gather(tool, files, open, read_stdin);
  TextOutcome result{"", in.err, in.status};
  const size_t n = static_cast<size_t>(count);
  for (const auto& [name, text] : in.texts) {
    if (bytes) {
      if (head) {
        result.out += text.substr(0, n);
      } else if (from_start) {
        result.out += text.substr(std::min(text.size(), n > 0 ? n - 1 : 0));
      } else {
        result.out += text.substr(text.size() - std::min(text.size(), n));
      }
      continue;
    }
    std::vector<std::string_view> lines = Lines(text);
    size_t first = 0, last = lines.size();
    if (head) {
      last = std::min(last, n);
    } else if (from_start) {
      first = std::min(last, n > 0 ? n - 1 : 0);
    } else {
      first = last - std::min(last, n);
    }
    for (size_t i = first; i < last; ++i) result.out += lines[i];
  }
  return result;
}

TextOutcome Wc(
    const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string&, std::string&)>& open,
    const std::function<std::string()>& read_stdin) {
  std::string flags;
  std::vector<std::string> files;
  for (const auto& a : args) {
    if (a.size() > 1 && a[0] == '-') {
      if (a.find_first_not_of("lwc", 1) != std::string::npos) {
        return {"", fmt::format("wc: unrecognized option: {}\n", a.substr(1)), 1};
      }
      flags += a.substr(1);
    } else {
      files.push_back(a);
    }
  }
  const std::string counts = flags.empty() ? std::string("lwc") : flags;
  Inputs in = Gather("wc", files, open, read_stdin);
  TextOutcome result{"", in.err, in.status};
  for (const auto& [name, text] : in.texts) {
    size_t lines = 0, words = 0;
    bool in_word = false;
    for (char c : text) {
      if (c == '\n') ++lines;
      const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
      if (!space && !in_word) ++words;
      in_word = !space;
    }
    std::string row;
    for (char f : std::string("lwc")) {
      if (counts.find(f) == std::string::npos) continue;
      const size_t v = f == 'l' ? lines : f == 'w' ? words : text.size();
      row += counts.size() == 1 ? std::to_string(v) : fmt::format("{:>7} ", v);
    }
    while (!row.empty() && row.back() == ' ') row.pop_back();
    if (!name.empty()) row += " " + name;
    result.out += row + "\n";
  }
  return result;
}

TextOutcome Grep(
    const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string&, std::string&)>& open,
    const std::function<std::string()>& read_stdin) {
  bool invert = false, ignore_case = false, quiet = false, count = false, numbers = false,
       fixed = false;
  std::optional<std::string> pattern;
  std::vector<std::string> files;
  for (const auto& a : args) {
    if (!pattern && a.size() > 1 && a[0] == '-') {
      for (char c : a.substr(1)) {
        switch (c) {
          case 'v':
            invert = true;
            break;
          case 'i':
            ignore_case = true;
            break;
          case 'q':
            quiet = true;
            break;
          case 'c':
            count = true;
            break;
          case 'n':
            numbers = true;
            break;
          case 'F':
            fixed = true;
            break;
          case 'E':
            break;
          default:
            return {"", fmt::format("grep: unrecognized option: {}\n", c), 2};
        }
      }
    } else if (!pattern) {
      pattern = a;
    } else {
      files.push_back(a);
    }
  }
  if (!pattern) return {"", "Usage: grep [-viqcnEF] PATTERN [FILE]...\n", 2};
  RE2::Options options;
  options.set_case_sensitive(!ignore_case);
  options.set_log_errors(false);
  RE2 re(fixed ? RE2::QuoteMeta(*pattern) : *pattern, options);
  if (!re.ok()) return {"", fmt::format("grep: bad regex '{}': {}\n", *pattern, re.error()), 2};
  Inputs in = Gather("grep", files, open, read_stdin);
  TextOutcome result{"", in.err, 1};
  const bool names = files.size() > 1;
  for (const auto& [name, text] : in.texts) {
    size_t matched = 0, number = 0;
    for (std::string_view line : Lines(text)) {
      ++number;
      std::string_view body = line;
      if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
      if (RE2::PartialMatch(body, re) == invert) continue;
      ++matched;
      if (quiet || count) continue;
      if (names) result.out += name + ":";
      if (numbers) result.out += std::to_string(number) + ":";
      result.out += std::string(body) + "\n";
    }
    if (count) result.out += (names ? name + ":" : "") + std::to_string(matched) + "\n";
    if (matched > 0) result.status = 0;
  }
  if (quiet) result.out.clear();
  if (in.status != 0 && result.status != 0) result.status = 2;
  return result;
}

}  // namespace

bool IsTextCommand(const std::string& name) {
  return name == "head" || name == "tail" || name == "wc" || name == "grep";
}

TextOutcome RunTextCommand(
    const std::string& name, const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string&, std::string&)>& open,
    const std::function<std::string()>& read_stdin) {
  if (name == "head" || name == "tail") return HeadTail(name == "head", args, open, read_stdin);
  if (name == "wc") return Wc(args, open, read_stdin);
  return Grep(args, open, read_stdin);
}

}  // namespace kubedouble::fake
