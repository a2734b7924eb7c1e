#include "shell_script.h"

namespace kubedouble::fake::shell {

namespace {

bool IsOperatorChar(char c) { return c == ';' || c == '&' || c == '|' || c == '<' || c == '>'; }

}  // namespace

std::optional<std::vector<Token>> Tokenize(std::string_view s, std::string& error) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '\n' || c == ';') {
      out.push_back({true, ";"});
      ++i;
    } else if (c == '&') {
      bool two = i + 1 < s.size() && s[i + 1] == '&';
      out.push_back({true, two ? "&&" : ";"});
      i += two ? 2 : 1;
    } else if (c == '|') {
      bool two = i + 1 < s.size() && s[i + 1] == '|';
      out.push_back({true, two ? "||" : "|"});
      i += two ? 2 : 1;
    } else if (c == '>' || c == '<' ||
               ((c == '1' || c == '2') && i + 1 < s.size() && s[i + 1] == '>')) {
      std::string op;
      if (c == '2') op += s[i];
      if (c == '1' || c == '2') ++i;
      op += s[i++];
      if (op.back() == '>' && i < s.size() && s[i] == '>') op += s[i++];
      if (op == "2>" && s.substr(i, 2) == "&1") {
        op += "&1";
        i += 2;
      } else if (op == ">" && s.substr(i, 2) == "&2") {
        op += "&2";
        i += 2;
      }
      out.push_back({true, op});
    } else {
      std::string word;
      while (i < s.size()) {
        c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || IsOperatorChar(c)) break;
        if (c == '\\' && i + 1 < s.size()) {
          word += s.substr(i, 2);
          i += 2;
        } else if (c == '\'' || c == '"') {
          size_t close = i + 1;
          while (close < s.size() && s[close] != c) close += (c == '"' && s[close] == '\\') ? 2 : 1;
          if (close >= s.size()) {
            error = "syntax error: unterminated quoted string";
            return std::nullopt;
          }
          word += s.substr(i, close - i + 1);
          i = close + 1;
        } else {
          word += c;
          ++i;
        }
      }
      out.push_back({false, std::move(word)});
    }
  }
  return out;
}

std::optional<std::vector<Pipeline>> Parse(const std::vector<Token>& tokens, std::string& error) {
  std::vector<Pipeline> out;
  Pipeline current;
  SimpleCommand command;
  std::string pending_connector;
  auto unexpected = [&](const std::string& what) {
    error = "syntax error: unexpected \"" + what + "\"";
    return std::nullopt;
  };
  auto empty = [](const SimpleCommand& c) { return c.words.empty() && c.redirects.empty(); };
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (!t.op) {
      command.words.push_back(t.text);
      continue;
    }
    if (t.text[0] == '<' || t.text[0] == '>' || t.text[0] == '2') {
      if (t.text == "2>&1" || t.text == ">&2") {
        command.redirects.push_back({t.text, ""});
        continue;
      }
      if (i + 1 >= tokens.size() || tokens[i + 1].op) {
        error = i + 1 >= tokens.size() ? "syntax error: unexpected newline"
                                       : "syntax error: unexpected \"" + tokens[i + 1].text + "\"";
        return std::nullopt;
      }
      command.redirects.push_back({t.text, tokens[++i].text});
      continue;
    }
    if (t.text == "|") {
      if (empty(command)) return unexpected("|");
      current.commands.push_back(std::move(command));
      command = {};
      continue;
    }
    // ; && ||
    if (empty(command)) {
      if (t.text == ";" && current.commands.empty()) continue;  // blank lines
      return unexpected(t.text);
    }
    current.commands.push_back(std::move(command));
    command = {};
    current.connector = pending_connector;
    out.push_back(std::move(current));
    current = {};
    pending_connector = t.text == ";" ? "" : t.text;
  }
  if (!empty(command)) {
    current.commands.push_back(std::move(command));
  } else if (!current.commands.empty() || !pending_connector.empty()) {
    error = "syntax error: unexpected end of file";
    return std::nullopt;
  }
  if (!current.commands.empty()) {
    current.connector = pending_connector;
    out.push_back(std::move(current));
  }
  return out;
}

}  // namespace kubedouble::fake::shell
