// Build checks (BuildKit's linter rules, frontend/dockerfile/linter), honouring the `# check=`
// directive: skip=<rules|all> silences rules, error=true turns any finding into a build error.
#pragma once

#include <string>
#include <vector>

#include "frontend/ast.h"
#include "frontend/directives.h"

namespace cairn::frontend {

struct LintFinding {
  std::string rule;     // e.g. "JSONArgsRecommended"
  std::string message;  // e.g. "JSON arguments recommended for CMD to prevent ..."
  int line = 0;
};

// Every finding of the implemented rules, in line order: ConsistentInstructionCasing,
// FromAsCasing, StageNameCasing, ReservedStageName, MaintainerDeprecated, JSONArgsRecommended,
// LegacyKeyValueFormat, WorkdirRelativePath, MultipleInstructionsDisallowed, ExposeProtoCasing,
// SecretsUsedInArgOrEnv, UndefinedArgInFrom, NoEmptyContinuation.
std::vector<LintFinding> Lint(const Ast& ast);

// Applies the check directive: drops skipped rules; formats the rest as
// "Dockerfile:12: JSONArgsRecommended: <message>". Throws ParseError (at the first finding) when
// the directive says error=true and something is left.
std::vector<std::string> CheckWarnings(const Ast& ast, const CheckOptions& options);

}  // namespace cairn::frontend
