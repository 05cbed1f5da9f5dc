// BuildKit's shell-word rules (frontend/dockerfile/shell/lex.go): variable expansion, quotes and
// escapes in the arguments of ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME,
// WORKDIR, ARG and flags such as --chown. RUN/CMD/ENTRYPOINT text is never passed through here.
//
// Supported: '...' (literal), "..." (only $ expands; the escape char escapes " $ and itself),
// the escape char outside quotes, $NAME, ${NAME}, ${NAME:-w} ${NAME-w} ${NAME:+w} ${NAME+w}
// ${NAME:?msg} ${NAME?msg}, ${NAME#p} ${NAME##p} ${NAME%p} ${NAME%%p} ${NAME/p/r} ${NAME//p/r}
// (p: shell pattern with * and ?), $1.. and special parameters ($@ $* $# $? $- $$ $! $0, never
// set). Names may contain Unicode letters and digits (Go's unicode.IsLetter / IsDigit).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::frontend {

// Returns the value of a variable, or nullopt when it is unset (set-but-empty is "").
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

struct ShellLexOptions {
  char escape = '\\';               // the Dockerfile's escape character (\ or `)
  bool raw_quotes = false;          // keep quote characters in the output
  bool raw_escapes = false;         // keep escape characters in the output
  bool skip_process_quotes = false; // treat quotes as ordinary characters
  bool skip_unset_env = false;      // leave $UNSET as written instead of expanding to ""
};

// Everything one expansion produced (lex.go ProcessWordResult).
struct ShellWordResult {
  std::string word;                // the single expanded word (ProcessWord)
  std::vector<std::string> words;  // the same text split into words (ProcessWords)
  std::set<std::string> matched;   // variable names looked up and found set
  std::set<std::string> unmatched; // variable names looked up but unset
};

class ShellLex {
 public:
  explicit ShellLex(ShellLexOptions options = {}) : options_(options) {}

  // One word: "${A:-x}/b" -> "x/b". Throws cairn::Error with lex.go's message on bad syntax,
  // e.g. `failed to process "${FOO": syntax error: missing '}'` or
  // `failed to process "${FOO:?}": FOO: is not allowed to be empty`.
  std::string ProcessWord(std::string_view word, const EnvLookup& env) const;

  // Splits into words on unquoted whitespace after expansion (lex.go ProcessWords): whitespace
  // written literally or produced by an unquoted $ expansion separates words; quoted or escaped
  // whitespace does not; empty words are dropped. Throws like ProcessWord.
  std::vector<std::string> ProcessWords(std::string_view word, const EnvLookup& env) const;

  // Both results plus which variables were used (lex.go ProcessWordWithMatches); the lowering
  // uses `unmatched` for "undefined variable" warnings. Throws like ProcessWord.
  ShellWordResult ProcessWordWithMatches(std::string_view word, const EnvLookup& env) const;

 private:
  ShellLexOptions options_;
};

// An EnvLookup over "K=V" entries; a later entry for the same key wins; "K" alone means K="".
EnvLookup EnvFromList(const std::vector<std::string>& entries);

// Internals of ${V#p}/${V%p}/${V/p/r}, exposed so the conformance tests can check them against
// lex_test.go. ShellPatternToGoRegex returns the Go regexp source lex.go would compile
// (greedy: '*' -> ".*", else ".*?"; anchored: leading '^'); throws cairn::Error on a bad escape.
std::string ShellPatternToGoRegex(std::string_view pattern, bool greedy, bool anchored);
// Reverses a pattern rune by rune but keeps "\x" pairs in order: "a\*c" -> "c\*a".
std::string ReverseShellPattern(std::string_view pattern);

}  // namespace cairn::frontend
