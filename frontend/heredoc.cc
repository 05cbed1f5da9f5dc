#include "frontend/heredoc.h"

#include <algorithm>

#include "base/error.h"
#include "frontend/shell_lex.h"
#include "frontend/text.h"

namespace cairn::frontend {
namespace {

std::optional<std::string> NoEnv(const std::string&) { return std::nullopt; }

size_t CountQuotes(const std::string& s) {
  return std::count(s.begin(), s.end(), '\'') + std::count(s.begin(), s.end(), '"');
}

// BuildKit's word lexer keeps `<<  EOF` together as one word (lex.go processPossibleHeredoc:
// blanks after `<<`, but not after `<<-`, belong to the heredoc word). Dropping those blanks
// outside quotes gives the same words from a lexer without that rule.
std::string JoinHeredocOperators(std::string_view line) {
  std::string out;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    out.push_back(c);
    if (c == '\\' && quote != '\'' && i + 1 < line.size()) {
      out.push_back(line[++i]);
      continue;
    }
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      continue;
    }
    bool heredoc_op = c == '<' && i + 1 < line.size() && line[i + 1] == '<' &&
                      (i + 2 >= line.size() || line[i + 2] != '<');
    if (!heredoc_op) continue;
    out.push_back(line[++i]);
    size_t j = i + 1;
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
    // (`<< -EOF` stays split: a rare name this workaround cannot express as one word.)
    if (j < line.size() && j > i + 1 && line[j] != '<' && line[j] != '-') i = j - 1;
  }
  return out;
}

}  // namespace

std::optional<Heredoc> ParseHeredocWord(std::string_view word) {
  // reHeredoc = ^(\d*)<<(-?)\s*([^<]*)$
  size_t i = 0;
  while (i < word.size() && IsDigit(word[i])) ++i;
  std::string_view digits = word.substr(0, i);
  if (word.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  bool chomp = i < word.size() && word[i] == '-';
  if (chomp) ++i;
  while (i < word.size() && IsRegexpSpace(word[i])) ++i;
  std::string rest(word.substr(i));
  if (rest.empty() || rest.find('<') != std::string::npos) return std::nullopt;
  Heredoc doc;
  // strconv.ParseUint errors are ignored by BuildKit: an out-of-range fd reads as 0.
  if (digits.size() <= 9) {
    for (char c : digits) doc.fd = doc.fd * 10 + static_cast<unsigned>(c - '0');
  }
  doc.chomp = chomp;
  // Lex the delimiter with and without quote removal: if they differ in quote count, some part
  // of the word was quoted and the body must not be expanded.
  ShellLexOptions cooked;
  cooked.skip_unset_env = true;
  std::vector<std::string> words = ShellLex(cooked).ProcessWords(rest, NoEnv);
  if (words.size() != 1) return std::nullopt;
  ShellLexOptions raw = cooked;
  raw.raw_quotes = true;
  std::vector<std::string> raw_words = ShellLex(raw).ProcessWords(rest, NoEnv);
  if (raw_words.size() != 1) {
    throw Error("internal lexing of heredoc produced inconsistent results: " + rest);
  }
  doc.name = words[0];
  doc.expand = CountQuotes(words[0]) == CountQuotes(raw_words[0]);
  return doc;
}

std::vector<Heredoc> HeredocsFromLine(std::string_view line) {
  ShellLexOptions options;
  options.raw_quotes = true;
  options.raw_escapes = true;
  options.skip_unset_env = true;
  std::vector<std::string> words;
  try {
    words = ShellLex(options).ProcessWords(JoinHeredocOperators(line), NoEnv);
  } catch (const Error&) {
    // BuildKit ignores lexing errors here (the words found so far are not used either).
    return {};
  }
  std::vector<Heredoc> docs;
  for (const std::string& word : words) {
    if (auto doc = ParseHeredocWord(word)) docs.push_back(std::move(*doc));
  }
  return docs;
}

std::string ChompHeredocContent(std::string_view content) {
  std::string out;
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '\t') continue;
    line_start = c == '\n';
    out.push_back(c);
  }
  return out;
}

}  // namespace cairn::frontend
