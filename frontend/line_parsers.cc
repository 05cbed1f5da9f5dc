#include "frontend/line_parsers.h"

#include "base/error.h"
#include "frontend/syntax.h"
#include "frontend/text.h"
#include "frontend/utf8.h"

namespace cairn::frontend {
namespace {

struct Args {
  std::vector<std::string> values;
  bool json = false;
};

// Bytes of the rune at s[pos], as Go's utf8.DecodeRuneInString counts them (an invalid byte: 1).
size_t RuneWidth(std::string_view s, size_t pos) {
  size_t width = 1;
  DecodeRune(s, pos, &width);
  return width;
}

bool IsSpaceRune(std::string_view r) {
  return (r.size() == 1 && IsAsciiSpace(r[0])) || r == "\xC2\x85" || r == "\xC2\xA0";
}

Args WhitespaceDelimited(std::string_view rest) {
  if (rest.empty()) return {};
  return {SplitWhitespace(rest), false};
}

Args MaybeJsonToList(std::string_view rest) {
  JsonArgs json = ParseJsonArray(rest);
  if (json.kind == JsonKind::kNotStrings) {
    throw Error("when using JSON array syntax, arrays must be comprised of strings only");
  }
  if (json.kind == JsonKind::kStrings) return {json.values, true};
  return WhitespaceDelimited(rest);
}

Args MaybeJson(std::string_view rest) {
  if (rest.empty()) return {};
  JsonArgs json = ParseJsonArray(rest);
  if (json.kind == JsonKind::kNotStrings) {
    throw Error("when using JSON array syntax, arrays must be comprised of strings only");
  }
  if (json.kind == JsonKind::kStrings) return {json.values, true};
  return {{std::string(rest)}, false};
}

Args NameVal(std::string_view rest, std::string_view key, char escape) {
  std::vector<std::string> words = ParseWords(rest, escape);
  if (words.empty()) return {};
  Args out;
  if (words[0].find('=') == std::string::npos) {
    // Legacy form `ENV name value...`: one variable, the value is the raw rest of the line.
    std::vector<std::string> parts = SplitWhitespace(rest, 2);
    if (parts.size() < 2) throw Error(std::string(key) + " must have two arguments");
    out.values = {parts[0], parts[1], ""};
    return out;
  }
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      throw Error("Syntax error - can't find = in \"" + word +
                  "\". Must be of the form: name=value");
    }
    out.values.push_back(word.substr(0, eq));
    out.values.push_back(word.substr(eq + 1));
    out.values.push_back("=");
  }
  return out;
}

Args HealthConfig(std::string_view rest) {
  // Byte-wise like BuildKit (rune(rest[i]) of a single byte).
  size_t sep = 0;
  while (sep < rest.size() && !IsAsciiSpace(rest[sep])) ++sep;
  size_t next = sep;
  while (next < rest.size() && IsAsciiSpace(rest[next])) ++next;
  if (sep == 0) return {};
  Args cmd = MaybeJson(rest.substr(next));
  cmd.values.insert(cmd.values.begin(), std::string(rest.substr(0, sep)));
  return cmd;
}

}  // namespace

std::vector<std::string> ParseWords(std::string_view rest, char escape) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  size_t pos = 0;
  while (true) {
    if (phase == kSpaces) {
      if (pos == rest.size()) break;
      size_t w = RuneWidth(rest, pos);
      if (IsSpaceRune(rest.substr(pos, w))) {
        pos += w;
        continue;
      }
      phase = kWord;
    }
    if (pos == rest.size()) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    size_t w = RuneWidth(rest, pos);
    std::string_view ch = rest.substr(pos, w);
    if (phase == kWord) {
      if (IsSpaceRune(ch)) {
        phase = kSpaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        pos += w;
        continue;
      }
      if (ch == "'" || ch == "\"") {
        quote = ch[0];
        blank_ok = true;
        phase = kQuote;
      }
      if (ch.size() == 1 && ch[0] == escape) {
        if (pos + w == rest.size()) {  // an escape at the end of the line is dropped
          pos += w;
          continue;
        }
        // Unquoted escape: keep it and the next character, even a quote.
        word.append(ch);
        pos += w;
        w = RuneWidth(rest, pos);
        ch = rest.substr(pos, w);
      }
      word.append(ch);
      pos += w;
      continue;
    }
    // kQuote
    if (ch.size() == 1 && ch[0] == quote) phase = kWord;
    if (ch.size() == 1 && ch[0] == escape && quote != '\'') {
      if (pos + w == rest.size()) {
        phase = kWord;
        pos += w;
        continue;
      }
      pos += w;
      word.append(ch);
      w = RuneWidth(rest, pos);
      ch = rest.substr(pos, w);
    }
    word.append(ch);
    pos += w;
  }
  return words;
}

Node NewNodeFromLine(std::string_view line, char escape) {
  SplitLine split = SplitInstruction(line);
  Node node;
  node.keyword = split.keyword;
  node.original = std::string(TrimSpace(line));
  node.flags = split.flags;
  node.rest_column = split.rest_offset + 1;
  std::string cmd = ToLower(split.keyword);
  std::string_view rest = split.rest;
  Args args;
  if (cmd == "add" || cmd == "copy" || cmd == "volume") {
    args = MaybeJsonToList(rest);
  } else if (cmd == "run" || cmd == "cmd" || cmd == "entrypoint" || cmd == "shell") {
    args = MaybeJson(rest);
  } else if (cmd == "from" || cmd == "expose") {
    args = WhitespaceDelimited(rest);
  } else if (cmd == "env" || cmd == "label") {
    args = NameVal(rest, ToUpper(cmd), escape);
  } else if (cmd == "arg") {
    args.values = ParseWords(rest, escape);
  } else if (cmd == "maintainer" || cmd == "stopsignal" || cmd == "user" || cmd == "workdir") {
    if (!rest.empty()) args.values = {std::string(rest)};
  } else if (cmd == "healthcheck") {
    args = HealthConfig(rest);
  } else if (cmd == "onbuild") {
    if (!rest.empty()) node.sub.push_back(NewNodeFromLine(rest, escape));
  } else {
    args.values = {""};  // parseIgnore
  }
  node.args = std::move(args.values);
  node.json = args.json;
  return node;
}

bool CanContainHeredoc(const Node& node) {
  const Node* n = &node;
  if (EqualFold(n->keyword, "onbuild") && !n->sub.empty()) n = &n->sub[0];
  std::string cmd = ToLower(n->keyword);
  if (cmd != "run" && cmd != "copy" && cmd != "add") return false;
  return !n->json;
}

}  // namespace cairn::frontend
