// BuildKit's shell-word rules (frontend/dockerfile/shell/lex.go): variable expansion, quotes and
// escapes in the arguments of ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME,
// WORKDIR, ARG and flags such as --chown. RUN/CMD/ENTRYPOINT text is never passed through here.
#pragma once

#include <functional>
#include <optional>
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

class ShellLex {
 public:
  explicit ShellLex(ShellLexOptions options = {}) : options_(options) {}

  // One word: "${A:-x}/b" -> "x/b". Throws cairn::Error with a message like lex.go's on bad
  // syntax (unterminated quote, missing '}', ${V:?msg} when V is unset/empty).
  std::string ProcessWord(std::string_view word, const EnvLookup& env) const;

  // Splits into words on unquoted whitespace after expansion (lex.go ProcessWords).
  std::vector<std::string> ProcessWords(std::string_view word, const EnvLookup& env) const;

 private:
  ShellLexOptions options_;
};

// An EnvLookup over "K=V" entries; a later entry for the same key wins.
EnvLookup EnvFromList(const std::vector<std::string>& entries);

}  // namespace cairn::frontend
