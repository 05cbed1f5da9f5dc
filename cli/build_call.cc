#include "cli/build_call.h"

#include <algorithm>
#include <cstdio>

#include "base/error.h"
#include "base/fs.h"
#include "frontend/directives.h"
#include "frontend/dockerignore.h"
#include "frontend/lint.h"
#include "frontend/outline.h"
#include "frontend/parser.h"
#include "frontend/source_error.h"
#include "store/image.h"

namespace cairn::cli {
namespace {

std::string DockerfilePath(const BuildCallInput& in) {
  return in.file.empty() ? JoinPath(in.context, "Dockerfile") : in.file;
}

frontend::Ast ParseDockerfile(const BuildCallInput& in) {
  std::string path = DockerfilePath(in);
  std::string text;
  try {
    text = ReadFile(path);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (pass the Dockerfile with -f FILE)");
  }
  std::string name = path;
  if (name.rfind(in.context + "/", 0) == 0) name = name.substr(in.context.size() + 1);
  if (!in.file_name.empty()) name = in.file_name;
  return frontend::Parse(text, name);
}

// "   3 | >>> CMD echo hi": the finding's line with one line of context each side, as buildx.
void PrintSnippet(const frontend::Ast& ast, int line) {
  std::printf("%s:%d\n--------------------\n", ast.file.c_str(), line);
  for (int l = std::max(1, line - 1); l <= std::min<int>(static_cast<int>(ast.lines.size()), line + 1); ++l)
    std::printf("%4d | %s %s\n", l, l == line ? ">>>" : "   ", ast.lines[static_cast<size_t>(l - 1)].c_str());
  std::printf("--------------------\n");
}

// The base image as the store has it (never pulled: a check only reads).
std::optional<frontend::BaseImageInfo> LocalBase(store::Store& store, const std::string& ref) {
  if (!store.ResolveTag(ref)) return std::nullopt;
  store::Image image = store::LoadImage(store, ref);
  frontend::BaseImageInfo info;
  info.platform = image.config.value("os", "") + "/" + image.config.value("architecture", "");
  if (image.config.contains("config") && image.config["config"].contains("Env") && image.config["config"]["Env"].is_array())
    for (auto& e : image.config["config"]["Env"]) {
      std::string kv = e.get<std::string>();
      info.env_names.push_back(kv.substr(0, kv.find('=')));
    }
  return info;
}

int Check(const BuildCallInput& in, store::Store& store) {
  frontend::Ast ast = ParseDockerfile(in);
  frontend::CheckOptions options;
  try {
    options = frontend::ParseCheckDirective(ast.directives.check);
  } catch (const Error& e) {
    throw frontend::LocatedError(ast.lines, {ast.file, ast.directives.check_line, 1}, e.what());
  }
  std::optional<frontend::IgnoreMatcher> ignore;
  std::string dockerfile = DockerfilePath(in);
  for (const std::string& path : {dockerfile + ".dockerignore", JoinPath(in.context, ".dockerignore")})
    if (PathExists(path)) {
      ignore = frontend::IgnoreMatcher::Parse(ReadFile(path));
      break;
    }
  frontend::LintInputs inputs;
  inputs.ignore = ignore ? &*ignore : nullptr;
  inputs.base_image = [&store](const std::string& ref) { return LocalBase(store, ref); };
  auto findings = frontend::KeptFindings(frontend::Lint(ast, inputs), options);
  const char* level = options.error ? "ERROR" : "WARN";
  if (findings.empty()) {
    std::printf("Check complete, no warnings found.\n");
    return 0;
  }
  std::printf("Check complete, %zu %s found!\n", findings.size(),
              findings.size() == 1 ? (options.error ? "error has been" : "warning has been")
                                   : (options.error ? "errors have been" : "warnings have been"));
  for (auto& f : findings) {
    std::printf("\n%s: %s - %s\n%s\nfix: %s\n", level, f.rule.c_str(), frontend::LintUrl(f.rule).c_str(),
                f.message.c_str(), frontend::LintFix(f.rule).c_str());
    PrintSnippet(ast, f.line);
  }
  return options.error ? 1 : 0;
}

// buildx's outline: the target, its description, then tables of build args and secrets.
int PrintOutline(const BuildCallInput& in) {
  frontend::Ast ast = ParseDockerfile(in);
  std::vector<std::pair<std::string, std::string>> args(in.build_args.begin(), in.build_args.end());
  args.erase(std::remove_if(args.begin(), args.end(), [](auto& kv) { return kv.first == "SOURCE_DATE_EPOCH"; }), args.end());
  frontend::Outline o = frontend::MakeOutline(ast, in.target, args);
  std::string name = o.target.name.empty() ? "(unnamed stage, line " + std::to_string(o.target.line) + ")" : o.target.name;
  std::printf("TARGET:      %s\n", name.c_str());
  if (!o.target.description.empty()) std::printf("DESCRIPTION: %s\n", o.target.description.c_str());
  if (!o.args.empty()) {
    size_t w1 = 9, w2 = 5;
    for (auto& a : o.args) {
      w1 = std::max(w1, a.name.size());
      w2 = std::max(w2, a.value.size());
    }
    std::printf("\n%-*s   %-*s   %s\n", static_cast<int>(w1), "BUILD ARG", static_cast<int>(w2), "VALUE", "DESCRIPTION");
    for (auto& a : o.args)
      std::printf("%-*s   %-*s   %s\n", static_cast<int>(w1), a.name.c_str(), static_cast<int>(w2), a.value.c_str(),
                  a.description.c_str());
  }
  if (!o.secrets.empty()) {
    size_t w = 6;
    for (auto& s : o.secrets) w = std::max(w, s.id.size());
    std::printf("\n%-*s   %s\n", static_cast<int>(w), "SECRET", "REQUIRED");
    for (auto& s : o.secrets) std::printf("%-*s   %s\n", static_cast<int>(w), s.id.c_str(), s.required ? "true" : "");
  }
  return 0;
}

// buildx's targets: every named stage with its description; the default one marked.
int PrintTargets(const BuildCallInput& in) {
  frontend::Ast ast = ParseDockerfile(in);
  auto targets = frontend::Targets(ast);
  std::vector<std::pair<std::string, std::string>> rows;
  for (auto& t : targets) {
    if (t.name.empty() && !t.is_default) continue;  // an unnamed stage cannot be a --target
    std::string name = t.name.empty() ? "(unnamed)" : t.name;
    if (t.is_default) name += " (default)";
    rows.emplace_back(name, t.description);
  }
  size_t w = 6;
  for (auto& r : rows) w = std::max(w, r.first.size());
  std::printf("%-*s   %s\n", static_cast<int>(w), "TARGET", "DESCRIPTION");
  for (auto& r : rows) std::printf("%-*s   %s\n", static_cast<int>(w), r.first.c_str(), r.second.c_str());
  return 0;
}

}  // namespace

int RunBuildCall(const std::string& call, const BuildCallInput& in, store::Store& store) {
  if (call == "check") return Check(in, store);
  if (call == "outline") return PrintOutline(in);
  if (call == "targets") return PrintTargets(in);
  throw Error("--call " + call + ": unknown (use build, check, outline or targets)");
}

}  // namespace cairn::cli
