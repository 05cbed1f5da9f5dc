#include "frontend/lint.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "frontend/source_error.h"
#include "frontend/text.h"

namespace cairn::frontend {
namespace {

using Findings = std::vector<LintFinding>;

// Names after `$` or `${` in text (the regexp \$\{?([A-Za-z_][A-Za-z0-9_]*)).
std::vector<std::string> ReferencedVariables(std::string_view text) {
  std::vector<std::string> names;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') continue;
    size_t j = i + 1;
    if (j < text.size() && text[j] == '{') ++j;
    size_t start = j;
    if (j >= text.size() || !(IsAlpha(text[j]) || text[j] == '_')) continue;
    while (j < text.size() && (IsAlpha(text[j]) || IsDigit(text[j]) || text[j] == '_')) ++j;
    names.emplace_back(text.substr(start, j - start));
    i = j - 1;
  }
  return names;
}

// secretsRegexp (?i)(?:_|^)(?:apikey|auth|...|token)(?:_|$): one '_'-separated word is a secret
// word; allowed: (?i)^public_?key$.
bool LooksSecret(const std::string& name) {
  static const std::set<std::string> words = {"apikey", "auth", "credential", "credentials", "key",
                                              "password", "pword", "passwd", "secret", "token"};
  std::string lower = ToLower(name);
  if (lower == "publickey" || lower == "public_key") return false;
  size_t start = 0;
  while (start <= lower.size()) {
    size_t us = lower.find('_', start);
    if (words.count(lower.substr(start, us == std::string::npos ? std::string::npos : us - start))) {
      return true;
    }
    if (us == std::string::npos) break;
    start = us + 1;
  }
  return false;
}

bool IsLower(const std::string& s) { return s == ToLower(s); }
bool IsUpper(const std::string& s) { return s == ToUpper(s); }

// All instructions should share one casing: the majority (upper on a tie) wins.
void ConsistentInstructionCasing(const Ast& ast, Findings& out) {
  size_t lower = 0, upper = 0;
  for (const Node& n : ast.nodes) {
    if (IsLower(n.keyword)) ++lower;
    else if (IsUpper(n.keyword)) ++upper;
  }
  bool want_upper = upper >= lower;
  for (const Node& n : ast.nodes) {
    if (want_upper ? IsUpper(n.keyword) : IsLower(n.keyword)) continue;
    out.push_back({"ConsistentInstructionCasing",
                   "Command '" + n.keyword + "' should match the case of the command majority (" +
                       (want_upper ? "uppercase" : "lowercase") + ")",
                   n.start_line});
  }
}

void StageRules(const Node& n, Findings& out) {
  if (!EqualFold(n.keyword, "from") || n.args.size() != 3) return;
  const std::string& as = n.args[1];
  const std::string& name = n.args[2];
  if ((IsUpper(n.keyword) && !IsUpper(as)) || (IsLower(n.keyword) && !IsLower(as))) {
    out.push_back({"FromAsCasing", "'" + as + "' and '" + n.keyword + "' keywords' casing do not match",
                   n.start_line});
  }
  if (!IsLower(name)) {
    out.push_back({"StageNameCasing", "Stage name '" + name + "' should be lowercase", n.start_line});
  }
  if (EqualFold(name, "scratch") || EqualFold(name, "context")) {
    out.push_back({"ReservedStageName",
                   "Stage name should not use the same name as reserved stage \"" + ToLower(name) + "\"",
                   n.start_line});
  }
}

void UndefinedArgInFrom(const Node& n, const std::set<std::string>& declared, Findings& out) {
  if (!EqualFold(n.keyword, "from")) return;
  std::string text = n.args.empty() ? "" : n.args[0];
  for (const std::string& flag : n.flags) text += " " + flag;
  for (const std::string& name : ReferencedVariables(text)) {
    static const std::set<std::string> predefined = {
        "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM",
        "BUILDOS",        "BUILDARCH", "BUILDVARIANT", "TARGETSTAGE"};
    if (declared.count(name) || predefined.count(name)) continue;
    out.push_back({"UndefinedArgInFrom", "FROM argument '" + name + "' is not declared", n.start_line});
  }
}

void InstructionRules(const Node& n, Findings& out) {
  std::string cmd = ToUpper(n.keyword);
  if (cmd == "MAINTAINER") {
    out.push_back({"MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label",
                   n.start_line});
  }
  if ((cmd == "CMD" || cmd == "ENTRYPOINT") && !n.json && !n.args.empty()) {
    out.push_back({"JSONArgsRecommended",
                   "JSON arguments recommended for " + cmd +
                       " to prevent unintended behavior related to OS signals",
                   n.start_line});
  }
  if ((cmd == "ENV" || cmd == "LABEL") && n.args.size() == 3 && n.args[2].empty()) {
    out.push_back({"LegacyKeyValueFormat",
                   "\"" + cmd + " key=value\" should be used instead of legacy \"" + cmd +
                       " key value\" format",
                   n.start_line});
  }
  if (cmd == "EXPOSE") {
    for (const std::string& port : n.args) {
      size_t slash = port.find('/');
      if (slash != std::string::npos && !IsLower(port.substr(slash + 1))) {
        out.push_back({"ExposeProtoCasing",
                       "Defined protocol '" + port + "' in EXPOSE instruction should be lowercase",
                       n.start_line});
      }
    }
  }
  if (cmd == "ARG" || cmd == "ENV") {
    for (size_t i = 0; i < n.args.size(); i += cmd == "ENV" ? 3 : 1) {
      std::string name = n.args[i].substr(0, n.args[i].find('='));
      if (LooksSecret(name)) {
        out.push_back({"SecretsUsedInArgOrEnv",
                       "Do not use ARG or ENV instructions for sensitive data (" + cmd + " \"" + name + "\")",
                       n.start_line});
      }
    }
  }
}

// Rules that look at one stage at a time.
void PerStageRules(const std::vector<const Node*>& stage, Findings& out) {
  bool workdir_set = false;
  std::map<std::string, std::vector<int>> single;  // CMD/ENTRYPOINT/HEALTHCHECK lines
  for (const Node* n : stage) {
    std::string cmd = ToUpper(n->keyword);
    if (cmd == "WORKDIR" && !n->args.empty()) {
      const std::string& path = n->args[0];
      if (!workdir_set && !StartsWith(path, "/") && !StartsWith(path, "$")) {
        out.push_back({"WorkdirRelativePath",
                       "Relative workdir \"" + path + "\" can have unexpected results if the base image changes",
                       n->start_line});
      }
      workdir_set = true;
    }
    if (cmd == "CMD" || cmd == "ENTRYPOINT" || cmd == "HEALTHCHECK") single[cmd].push_back(n->start_line);
  }
  for (const auto& [cmd, lines] : single) {
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
      out.push_back({"MultipleInstructionsDisallowed",
                     "Multiple " + cmd + " instructions should not be used in the same stage because "
                     "only the last one will be used",
                     lines[i]});
    }
  }
}

}  // namespace

void MoreRules(const Ast& ast, const LintInputs& inputs, std::vector<LintFinding>& out);  // lint_more.cc

std::vector<LintFinding> Lint(const Ast& ast, const LintInputs& inputs) {
  Findings out;
  MoreRules(ast, inputs, out);
  ConsistentInstructionCasing(ast, out);
  std::set<std::string> meta_args;
  std::vector<std::vector<const Node*>> stages;
  for (const Node& n : ast.nodes) {
    bool from = EqualFold(n.keyword, "from");
    if (from) stages.emplace_back();
    if (EqualFold(n.keyword, "arg") && stages.empty()) {
      for (const std::string& a : n.args) meta_args.insert(a.substr(0, a.find('=')));
    }
    if (!stages.empty() && !from) stages.back().push_back(&n);
    StageRules(n, out);
    UndefinedArgInFrom(n, meta_args, out);
    InstructionRules(n, out);
  }
  for (const auto& stage : stages) PerStageRules(stage, out);
  for (int line : ast.empty_continuation_lines) {
    out.push_back({"NoEmptyContinuation", "Empty continuation line", line});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LintFinding& a, const LintFinding& b) { return a.line < b.line; });
  return out;
}

// What to change, one sentence per rule (the --check output's "fix:" line).
static const std::map<std::string, std::string>& Fixes() {
  static const std::map<std::string, std::string> fixes = {
      {"ConsistentInstructionCasing", "Write every instruction in the same case (uppercase is usual)."},
      {"FromAsCasing", "Write AS in the same case as FROM."},
      {"StageNameCasing", "Name the stage in lowercase."},
      {"ReservedStageName", "Pick another stage name: scratch and context are reserved."},
      {"MaintainerDeprecated", "Replace MAINTAINER with LABEL org.opencontainers.image.authors=\"...\"."},
      {"JSONArgsRecommended", "Use the JSON form, e.g. CMD [\"executable\", \"arg\"], so signals reach the process."},
      {"LegacyKeyValueFormat", "Write KEY=VALUE instead of KEY VALUE."},
      {"WorkdirRelativePath", "Give the first WORKDIR an absolute path."},
      {"MultipleInstructionsDisallowed", "Keep only the last of these instructions in the stage."},
      {"ExposeProtoCasing", "Write the protocol in lowercase (tcp, udp)."},
      {"SecretsUsedInArgOrEnv", "Pass secrets with RUN --mount=type=secret and cairn build --secret, not ARG or ENV."},
      {"UndefinedArgInFrom", "Declare the ARG before the first FROM, or fix its name."},
      {"NoEmptyContinuation", "Remove the empty line inside the continued instruction."},
      {"DuplicateStageName", "Give each stage its own name."},
      {"InvalidDefaultArgInFrom", "Give the ARG a default that makes a valid image name (ARG TAG=latest)."},
      {"RedundantTargetPlatform", "Remove --platform=$TARGETPLATFORM: it is the default."},
      {"FromPlatformFlagConstDisallowed", "Use $BUILDPLATFORM or $TARGETPLATFORM, or name the stage for its platform."},
      {"ExposeInvalidFormat", "EXPOSE only the container port (EXPOSE 80); publish host ports when running."},
      {"InvalidDefinitionDescription", "Start the comment with the stage or arg name, or put an empty line between them."},
      {"UndefinedVar", "Declare it with ARG or ENV before this line, or fix its name."},
      {"CopyIgnoredFile", "Remove the path from .dockerignore, or stop copying it."},
      {"InvalidBaseImagePlatform", "Pull the base image for the build's platform, or build for the image's platform."},
  };
  return fixes;
}

std::string LintFix(const std::string& rule) {
  auto it = Fixes().find(rule);
  return it == Fixes().end() ? "" : it->second;
}

std::string LintUrl(const std::string& rule) {
  // BuildKit's pages are the rule name in kebab case: JSONArgsRecommended -> json-args-recommended.
  std::string kebab;
  for (size_t i = 0; i < rule.size(); ++i) {
    char c = rule[i];
    bool upper = c >= 'A' && c <= 'Z';
    bool next_lower = i + 1 < rule.size() && rule[i + 1] >= 'a' && rule[i + 1] <= 'z';
    bool prev_lower = i > 0 && rule[i - 1] >= 'a' && rule[i - 1] <= 'z';
    if (upper && i > 0 && (prev_lower || next_lower)) kebab += '-';
    kebab += upper ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return "https://docs.docker.com/go/dockerfile/rule/" + kebab + "/";
}

std::vector<LintFinding> KeptFindings(const std::vector<LintFinding>& findings, const CheckOptions& options) {
  static const std::set<std::string> experimental = {"InvalidDefinitionDescription"};
  std::vector<LintFinding> kept;
  for (const LintFinding& f : findings) {
    if (options.skip.count("all") || options.skip.count(f.rule)) continue;
    if (experimental.count(f.rule) && !options.experimental.count("all") && !options.experimental.count(f.rule)) continue;
    kept.push_back(f);
  }
  return kept;
}

std::vector<std::string> CheckWarnings(const Ast& ast, const CheckOptions& options) {
  std::vector<std::string> warnings;
  std::vector<LintFinding> kept;
  for (const LintFinding& f : KeptFindings(Lint(ast), options)) {
    kept.push_back(f);
    warnings.push_back(ast.file + ":" + std::to_string(f.line) + ": " + f.rule + ": " + f.message);
  }
  if (options.error && !kept.empty()) {
    std::set<std::string> rules;
    for (const LintFinding& f : kept) rules.insert(f.rule);
    std::string names;
    for (const std::string& r : rules) names += (names.empty() ? "" : ", ") + r;
    throw LocatedError(ast.lines, {ast.file, kept[0].line, 1},
                       "lint violation found for rules: " + names + " (the check directive sets "
                       "error=true; fix them or list them in check=skip=...)\n" + kept[0].rule +
                           ": " + kept[0].message);
  }
  return warnings;
}

}  // namespace cairn::frontend
