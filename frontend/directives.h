// Parser directives (BuildKit parser/directives.go): `# syntax=`, `# escape=`, `# check=` lines at
// the very top of a Dockerfile. The first line that is not a directive ends the scan for good.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "frontend/ast.h"

namespace cairn::frontend {

class DirectiveScanner {
 public:
  // Feeds one physical line (leading whitespace already removed). Returns true if the line was
  // a directive. Throws cairn::Error on a repeated directive or an escape other than \ or `.
  bool Feed(std::string_view line);
  bool done() const { return done_; }
  const Directives& directives() const { return directives_; }

 private:
  bool done_ = false;
  int line_ = 0;
  std::set<std::string> seen_;
  Directives directives_;
};

// The `check` directive: `skip=A,B|all;error=true;experimental=C`.
struct CheckOptions {
  std::set<std::string> skip;  // rule names, or {"all"}
  bool error = false;
  std::set<std::string> experimental;
};
// Throws cairn::Error on an unknown key or a bad boolean.
CheckOptions ParseCheckDirective(std::string_view value);

}  // namespace cairn::frontend
