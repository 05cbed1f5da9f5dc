// Build checks (BuildKit's linter rules, frontend/dockerfile/linter), honouring the `# check=`
// directive: skip=<rules|all> silences rules, error=true turns any finding into a build error.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "frontend/ast.h"
#include "frontend/directives.h"
#include "frontend/dockerignore.h"

namespace cairn::frontend {

struct LintFinding {
  std::string rule;     // e.g. "JSONArgsRecommended"
  std::string message;  // e.g. "JSON arguments recommended for CMD to prevent ..."
  int line = 0;
};

// What a base image is, for the rules that look at it (UndefinedVar, InvalidBaseImagePlatform).
struct BaseImageInfo {
  std::string platform;               // "linux/amd64"
  std::vector<std::string> env_names;  // names its config's Env defines
};

// What the Dockerfile alone does not say. A rule whose input is missing is not run: without
// `ignore`, CopyIgnoredFile; without `base_image` (or when it returns nullopt for a stage's
// image), UndefinedVar for that stage and InvalidBaseImagePlatform.
struct LintInputs {
  const IgnoreMatcher* ignore = nullptr;  // the context's .dockerignore
  std::function<std::optional<BaseImageInfo>(const std::string& ref)> base_image;
  std::string platform = "linux/amd64";   // the build's target platform
};

// Every finding of BuildKit's 22 rules, in line order: ConsistentInstructionCasing,
// FromAsCasing, StageNameCasing, ReservedStageName, MaintainerDeprecated, JSONArgsRecommended,
// LegacyKeyValueFormat, WorkdirRelativePath, MultipleInstructionsDisallowed, ExposeProtoCasing,
// SecretsUsedInArgOrEnv, UndefinedArgInFrom, NoEmptyContinuation, DuplicateStageName,
// InvalidDefaultArgInFrom, RedundantTargetPlatform, FromPlatformFlagConstDisallowed,
// ExposeInvalidFormat, InvalidDefinitionDescription, UndefinedVar, CopyIgnoredFile,
// InvalidBaseImagePlatform (the last three only with their inputs, see LintInputs).
std::vector<LintFinding> Lint(const Ast& ast, const LintInputs& inputs = {});

// One sentence a person can act on ("Use the JSON form: CMD [\"run\"]"), for `build --check`.
std::string LintFix(const std::string& rule);
// BuildKit's documentation page of the rule (https://docs.docker.com/go/dockerfile/rule/<kebab>/).
std::string LintUrl(const std::string& rule);

// The findings the check directive keeps: not skipped (skip=<rules|all>), and experimental
// rules (InvalidDefinitionDescription, as in BuildKit) only when experimental= names them or all.
std::vector<LintFinding> KeptFindings(const std::vector<LintFinding>& findings, const CheckOptions& options);

// Applies the check directive: drops skipped rules; formats the rest as
// "Dockerfile:12: JSONArgsRecommended: <message>". Throws ParseError (at the first finding) when
// the directive says error=true and something is left.
std::vector<std::string> CheckWarnings(const Ast& ast, const CheckOptions& options);

}  // namespace cairn::frontend
