// The build checks that need more than one instruction's words: stage names, FROM platforms and
// defaults, variables in scope, comments that describe stages and args, the ignore file and the
// base image. Lint() (lint.cc) runs them with the others.
#include <map>
#include <regex>
#include <set>

#include "base/path.h"
#include "frontend/lint.h"
#include "frontend/suggest.h"
#include "frontend/text.h"

namespace cairn::frontend {
namespace {

using Findings = std::vector<LintFinding>;

// Build args every stage has without declaring them (BuildKit's automatic platform args and the
// proxy args docker passes through).
const std::set<std::string>& PredefinedArgs() {
  static const std::set<std::string> args = {
      "TARGETPLATFORM", "TARGETOS",   "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS",
      "BUILDARCH",      "BUILDVARIANT", "TARGETSTAGE", "HTTP_PROXY", "http_proxy",  "HTTPS_PROXY",
      "https_proxy",    "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",     "no_proxy",     "ALL_PROXY",
      "all_proxy",      "SOURCE_DATE_EPOCH"};
  return args;
}

std::string FlagValue(const Node& n, std::string_view name) {
  std::string prefix = "--" + std::string(name) + "=";
  for (const std::string& f : n.flags)
    if (StartsWith(f, prefix)) return f.substr(prefix.size());
  return "";
}

std::string StageName(const Node& from) { return from.args.size() == 3 ? ToLower(from.args[2]) : ""; }

// A variable reference as the frontend's word expansion sees it.
struct VarRef {
  std::string name;
  bool has_default = false;  // ${x:-y}, ${x-y}, ${x:+y}, ${x+y}, ${x:?y}: unset is handled
};

// References in text, outside single quotes and not escaped with `escape`.
std::vector<VarRef> References(std::string_view text, char escape) {
  std::vector<VarRef> refs;
  bool single = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == escape && !single) {
      ++i;
      continue;
    }
    if (c == '\'') single = !single;
    if (c != '$' || single) continue;
    size_t j = i + 1;
    bool braced = j < text.size() && text[j] == '{';
    if (braced) ++j;
    size_t start = j;
    while (j < text.size() && (IsAlpha(text[j]) || IsDigit(text[j]) || text[j] == '_')) ++j;
    if (j == start || IsDigit(text[start])) continue;
    VarRef ref{std::string(text.substr(start, j - start))};
    ref.has_default = braced && j < text.size() && text[j] != '}';
    refs.push_back(ref);
    i = j - 1;
  }
  return refs;
}

// The image reference grammar of distribution/reference, enough to tell "alpine:" or "" apart
// from a name the FROM line could pull.
bool LooksLikeImageRef(const std::string& ref) {
  static const std::regex re(
      R"(^([a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$)");
  return std::regex_match(ref, re);
}

// FROM text with meta ARG defaults substituted (an ARG without a default is empty).
std::string ExpandWithDefaults(const std::string& text, const std::map<std::string, std::string>& defaults) {
  static const std::regex ref(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*))");
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), ref);
  size_t at = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    out += text.substr(at, static_cast<size_t>(it->position()) - at);
    std::string name = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
    auto d = defaults.find(name);
    if (d != defaults.end()) out += d->second;
    at = static_cast<size_t>(it->position() + it->length());
  }
  return out + text.substr(at);
}

void FromRules(const Node& n, const std::map<std::string, std::string>& meta_defaults, std::set<std::string>& stage_names,
               const LintInputs& inputs, Findings& out) {
  std::string name = StageName(n);
  if (!name.empty() && !stage_names.insert(name).second)
    out.push_back({"DuplicateStageName", "Duplicate stage name \"" + name + "\", stage names should be unique", n.start_line});
  const std::string image = n.args.empty() ? "" : n.args[0];
  if (image.find('$') != std::string::npos) {
    bool all_known = true;
    // A predefined arg (FROM bb:$TARGETARCH) has its value from the build, not from a default.
    for (const VarRef& r : References(image, '\\'))
      all_known = all_known && meta_defaults.count(r.name) && !PredefinedArgs().count(r.name);
    std::string expanded = ExpandWithDefaults(image, meta_defaults);
    if (all_known && !EqualFold(expanded, "scratch") && !LooksLikeImageRef(expanded)) {
      out.push_back({"InvalidDefaultArgInFrom",
                     "Default value for ARG " + image + " results in empty or invalid base image name", n.start_line});
    }
  }
  std::string platform = FlagValue(n, "platform");
  if (platform == "$TARGETPLATFORM" || platform == "${TARGETPLATFORM}") {
    out.push_back({"RedundantTargetPlatform",
                   "Setting platform to predefined " + platform + " in FROM is redundant as this is the default behavior",
                   n.start_line});
  } else if (!platform.empty() && platform.find('$') == std::string::npos) {
    // BuildKit allows a constant when the stage is named for it (FROM --platform=linux/arm64 x AS build-arm64).
    std::string os = platform.substr(0, platform.find('/'));
    std::string arch = platform.find('/') == std::string::npos ? "" : platform.substr(platform.find('/') + 1);
    arch = arch.substr(0, arch.find('/'));
    bool named_for_it = !name.empty() && ((!arch.empty() && name.find(arch) != std::string::npos) ||
                                          name.find(os) != std::string::npos);
    if (!named_for_it)
      out.push_back({"FromPlatformFlagConstDisallowed",
                     "FROM --platform flag should not use constant value \"" + platform + "\"", n.start_line});
  }
  if (inputs.base_image && platform.empty() && image.find('$') == std::string::npos && !EqualFold(image, "scratch") &&
      !stage_names.count(ToLower(image))) {
    auto info = inputs.base_image(image);
    if (info && !info->platform.empty() && info->platform != inputs.platform)
      out.push_back({"InvalidBaseImagePlatform", "Base image " + image + " was pulled with platform \"" + info->platform +
                                                     "\", expected \"" + inputs.platform + "\" for current build",
                     n.start_line});
  }
}

void ExposeInvalidFormat(const Node& n, Findings& out) {
  if (!EqualFold(n.keyword, "expose")) return;
  for (const std::string& port : n.args)
    if (port.find(':') != std::string::npos)
      out.push_back({"ExposeInvalidFormat",
                     "EXPOSE instruction should not define an IP address or host-port mapping, found '" + port + "'",
                     n.start_line});
}

// "# name description" right above FROM ... AS name or ARG name: the comment must start with it.
void InvalidDefinitionDescription(const Ast& ast, const Node& n, Findings& out) {
  std::string name;
  if (EqualFold(n.keyword, "from")) name = StageName(n);
  if (EqualFold(n.keyword, "arg") && n.args.size() == 1) name = n.args[0].substr(0, n.args[0].find('='));
  if (name.empty() || n.start_line < 2 || static_cast<size_t>(n.start_line - 1) > ast.lines.size()) return;
  std::string above(TrimSpace(ast.lines[static_cast<size_t>(n.start_line - 2)]));
  if (!StartsWith(above, "#")) return;
  std::string text(TrimSpace(std::string_view(above).substr(1)));
  static const std::regex directive(R"(^[A-Za-z]+=)");
  if (text.empty() || std::regex_search(text, directive)) return;  // a parser directive is no description
  std::string first = text.substr(0, text.find_first_of(" \t"));
  if (first == name || EqualFold(first, name)) return;
  out.push_back({"InvalidDefinitionDescription",
                 "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. "
                 "If this is not intended to be a description comment, add an empty line or comment between the "
                 "instruction and the comment.",
                 n.start_line});
}

// Which words of an instruction the frontend expands (RUN, CMD and ENTRYPOINT go to the shell).
std::vector<std::string> ExpandedWords(const Node& n) {
  static const std::set<std::string> expanded = {"ADD", "COPY", "EXPOSE", "LABEL", "USER", "WORKDIR",
                                                 "VOLUME", "STOPSIGNAL", "ONBUILD"};
  std::string cmd = ToUpper(n.keyword);
  std::vector<std::string> words;
  if (cmd == "ENV") {
    for (size_t i = 1; i < n.args.size(); i += 3) words.push_back(n.args[i]);
  } else if (cmd == "ARG") {
    for (auto& a : n.args)
      if (a.find('=') != std::string::npos) words.push_back(a.substr(a.find('=') + 1));
  } else if (expanded.count(cmd) && cmd != "ONBUILD") {
    words = n.args;
  }
  return words;
}

void DeclareFrom(const Node& n, std::set<std::string>& names) {
  std::string cmd = ToUpper(n.keyword);
  if (cmd == "ENV")
    for (size_t i = 0; i < n.args.size(); i += 3) names.insert(n.args[i]);
  if (cmd == "ARG")
    for (auto& a : n.args) names.insert(a.substr(0, a.find('=')));
}

// UndefinedVar: a variable the frontend expands that no ARG, ENV, base image or predefined arg
// defines. A stage whose base image is unknown is not checked (its ENV could define anything).
void UndefinedVar(const Ast& ast, const LintInputs& inputs, Findings& out) {
  std::map<std::string, std::set<std::string>> stage_env;  // stage name -> names it ends with
  std::optional<std::set<std::string>> scope;               // nullopt: not checked
  std::string stage;
  char escape = ast.directives.escape;
  auto close = [&] {
    if (scope && !stage.empty()) stage_env[stage] = *scope;
  };
  for (const Node& n : ast.nodes) {
    if (EqualFold(n.keyword, "from")) {
      close();
      stage = StageName(n);
      std::string image = n.args.empty() ? "" : n.args[0];
      scope.reset();
      if (EqualFold(image, "scratch")) {
        scope.emplace();
      } else if (stage_env.count(ToLower(image))) {
        scope = stage_env[ToLower(image)];
      } else if (inputs.base_image && image.find('$') == std::string::npos) {
        if (auto info = inputs.base_image(image)) scope = std::set<std::string>(info->env_names.begin(), info->env_names.end());
      }
      continue;
    }
    if (!scope) continue;
    for (const std::string& word : ExpandedWords(n)) {
      for (const VarRef& ref : References(word, escape)) {
        if (ref.has_default || scope->count(ref.name) || PredefinedArgs().count(ref.name)) continue;
        std::string message = "Usage of undefined variable '$" + ref.name + "'";
        std::string near = Suggest(ref.name, std::vector<std::string>(scope->begin(), scope->end()));
        if (!near.empty()) message += " (did you mean $" + near + "?)";
        out.push_back({"UndefinedVar", message, n.start_line});
      }
    }
    DeclareFrom(n, *scope);
  }
}

// CopyIgnoredFile: a COPY/ADD source from the context that .dockerignore leaves out.
void CopyIgnoredFile(const Node& n, const IgnoreMatcher& ignore, Findings& out) {
  bool add = EqualFold(n.keyword, "add");
  if (!(add || EqualFold(n.keyword, "copy")) || !FlagValue(n, "from").empty() || n.args.size() < 2) return;
  for (size_t i = 0; i + 1 < n.args.size(); ++i) {
    const std::string& src = n.args[i];
    if (src.find("://") != std::string::npos || src.find_first_of("$*?[") != std::string::npos || StartsWith(src, "<<"))
      continue;
    std::string path = CleanPath(src);
    while (StartsWith(path, "/")) path.erase(0, 1);
    if (path.empty() || path == ".") continue;
    if (ignore.Excluded(path))
      out.push_back({"CopyIgnoredFile", std::string("Attempting to ") + (add ? "Add" : "Copy") + " file \"" + src +
                                            "\" that is excluded by .dockerignore",
                     n.start_line});
  }
}

}  // namespace

void MoreRules(const Ast& ast, const LintInputs& inputs, Findings& out) {
  std::map<std::string, std::string> meta_defaults;
  std::set<std::string> stage_names;
  bool in_stage = false;
  for (const Node& n : ast.nodes) {
    if (EqualFold(n.keyword, "from")) {
      FromRules(n, meta_defaults, stage_names, inputs, out);
      in_stage = true;
    }
    if (!in_stage && EqualFold(n.keyword, "arg"))
      for (const std::string& a : n.args) {
        size_t eq = a.find('=');
        meta_defaults[a.substr(0, eq)] = eq == std::string::npos ? "" : a.substr(eq + 1);
      }
    ExposeInvalidFormat(n, out);
    InvalidDefinitionDescription(ast, n, out);
    if (inputs.ignore) CopyIgnoredFile(n, *inputs.ignore, out);
  }
  UndefinedVar(ast, inputs, out);
}

}  // namespace cairn::frontend
