// The stage driver: global ARGs, FROM (scratch, earlier stages, images via the resolver), ONBUILD
// triggers of the base, target selection, build order and the unused --build-arg warning.
// The per-instruction rules live in lower_steps.cc.
#include "frontend/lower.h"

#include <algorithm>
#include <functional>

#include "base/error.h"
#include "frontend/lower_state.h"
#include "frontend/parser.h"
#include "frontend/shell_lex.h"
#include "frontend/source_error.h"
#include "frontend/text.h"

namespace cairn::frontend {

void EnvList::Set(const std::string& key, const std::string& value) {
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v = value;
      return;
    }
  }
  entries_.emplace_back(key, value);
}

std::optional<std::string> EnvList::Get(const std::string& key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

EnvList EnvList::FromStrings(const std::vector<std::string>& kvs) {
  EnvList list;
  for (const std::string& kv : kvs) {
    size_t eq = kv.find('=');
    list.Set(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  return list;
}

std::vector<std::string> EnvList::ToStrings() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_) out.push_back(k + "=" + v);
  return out;
}

bool IsProxyArg(const std::string& name) {
  static const std::set<std::string> names = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                                              "https_proxy", "FTP_PROXY", "ftp_proxy",
                                              "NO_PROXY",   "no_proxy",   "ALL_PROXY",
                                              "all_proxy"};
  return names.count(name) > 0;
}

bool IsNonEnvArg(const std::string& name) {
  static const std::set<std::string> names = {
      "BUILDKIT_BUILD_NAME",     "BUILDKIT_CACHE_MOUNT_NS",   "BUILDKIT_CONTEXT_KEEP_GIT_DIR",
      "BUILDKIT_INLINE_CACHE",   "BUILDKIT_MULTI_PLATFORM",   "BUILDKIT_SANDBOX_HOSTNAME",
      "BUILDKIT_SYNTAX",         "BUILDKIT_SBOM_SCAN_CONTEXT",
      "BUILDKIT_SBOM_SCAN_STAGE"};
  return names.count(name) > 0;
}

std::string Expand(const LowerContext& ctx, const StageState& st, const std::string& word) {
  EnvLookup env = [&st](const std::string& k) { return st.state_env.Get(k); };
  return ShellLex(ShellLexOptions{ctx.file->escape}).ProcessWord(word, env);
}

// The image a --build-context of this name stands for, or nullptr.
const std::string* NamedContext(const LowerContext& ctx, const std::string& name) {
  const auto& named = ctx.options->named_contexts;
  std::string key = ToLower(name);
  auto it = named.find(key);
  if (it == named.end() && key.size() > 7 && key.compare(key.size() - 7, 7, ":latest") == 0)
    it = named.find(key.substr(0, key.size() - 7));
  return it == named.end() ? nullptr : &it->second;
}

plan::StageRef ResolveFrom(LowerContext& ctx, StageState& st, const std::string& from) {
  int index = -1;
  if (const std::string* ref = NamedContext(ctx, from)) return plan::StageRef::Image(*ref);
  if (auto it = ctx.stage_names.find(ToLower(from)); it != ctx.stage_names.end()) {
    index = it->second;
  } else if (!from.empty() && from.size() < 6 &&
             std::all_of(from.begin(), from.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    index = std::stoi(from);
    if (index >= static_cast<int>(ctx.done.size())) {
      throw Error("invalid stage index " + from + ": the Dockerfile has " +
                  std::to_string(ctx.done.size()) + " stages");
    }
  } else {
    return plan::StageRef::Image(from);
  }
  if (index == st.stage.index || ctx.in_progress[index]) {
    throw Error("circular dependency detected on stage: " + from);
  }
  if (index > st.stage.index) {  // BuildKit's rule and words: stages are read in order
    throw Error("invalid stage " + from + ": stage " + from + " needs to be defined before current stage");
  }
  EnsureLowered(ctx, index);
  st.deps.insert(index);
  return plan::StageRef::Stage(index);
}

namespace {

// BuildKit's automatic platform ARGs (global scope only): TARGET* from the platform the image is
// for, BUILD* from the one the build runs on. Both were checked by the CLI; a bad one is still a
// plain error here (a library user may pass anything).
void AddPlatformArgs(LowerContext& ctx) {
  for (auto [prefix, text] : {std::pair<std::string, const std::string*>{"TARGET", &ctx.options->platform},
                              {"BUILD", &ctx.options->build_platform}}) {
    Platform p = ParsePlatform(*text);
    ctx.global_args[prefix + "PLATFORM"] = ToString(p);
    ctx.global_args[prefix + "OS"] = p.os;
    ctx.global_args[prefix + "ARCH"] = p.architecture;
    ctx.global_args[prefix + "VARIANT"] = p.variant;
  }
}

EnvLookup GlobalEnv(const LowerContext& ctx) {
  return [&ctx](const std::string& k) -> std::optional<std::string> {
    auto it = ctx.global_args.find(k);
    if (it == ctx.global_args.end()) return std::nullopt;
    return it->second;
  };
}

std::string ExpandGlobal(const LowerContext& ctx, const std::string& word) {
  return ShellLex(ShellLexOptions{ctx.file->escape}).ProcessWord(word, GlobalEnv(ctx));
}

[[noreturn]] void FailAt(const LowerContext& ctx, const plan::Location& where,
                         const std::string& message) {
  throw LocatedError(ctx.file->lines, where, message);
}

void LowerMetaArgs(LowerContext& ctx) {
  for (const Instruction& instr : ctx.file->meta_args) {
    for (const ArgInstr::Arg& a : std::get<ArgInstr>(instr.detail).args) {
      ctx.global_arg_names.insert(a.name);
      if (auto it = ctx.options->build_args.find(a.name); it != ctx.options->build_args.end()) {
        ctx.global_args[a.name] = it->second;
        ctx.consumed_build_args.insert(a.name);
      } else if (a.value) {
        try {
          ctx.global_args[a.name] = ExpandGlobal(ctx, *a.value);
        } catch (const Error& e) {
          FailAt(ctx, instr.location, e.what());
        }
        if (a.name == "SOURCE_DATE_EPOCH") {  // BuildKit: the build's epoch, unless given
          ctx.source_date_epoch_default = ctx.global_args[a.name];
          ctx.source_date_epoch_at = instr.location;
        }
      }
    }
  }
}

plan::ImageConfig ScratchConfig(const Platform& p) {
  plan::ImageConfig config;
  // BuildKit's emptyImage: a default PATH so RUN finds programs copied into /usr/bin etc.
  config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  config.os = p.os;
  config.architecture = p.architecture;
  config.variant = p.variant;
  config.workdir = "/";  // BuildKit's emptyImage: a scratch stage's WorkingDir is "/"
  return config;
}

// The ONBUILD triggers stored in the base config run first, as if written after FROM; the new
// image does not inherit them.
void RunTriggers(LowerContext& ctx, StageState& st, const plan::Location& from_location) {
  std::vector<std::string> triggers = std::move(st.config.onbuild);
  st.config.onbuild.clear();
  for (const std::string& trigger : triggers) {
    try {
      Ast ast = Parse(trigger, ctx.file->file);
      for (const Node& node : ast.nodes) {
        Instruction instr = ParseInstruction(node, ast);
        instr.location = from_location;
        LowerInstruction(ctx, st, instr);
      }
    } catch (const std::exception& e) {
      FailAt(ctx, from_location, "ONBUILD trigger \"" + trigger + "\" of the base image: " + e.what());
    }
  }
}

void StartStage(LowerContext& ctx, StageState& st, int index) {
  const StageInstructions& src = ctx.file->stages[index];
  const auto& from = std::get<FromInstr>(src.from.detail);
  st.stage.index = index;
  st.stage.name = from.name;
  st.stage.location = src.from.location;
  std::string image;
  try {
    image = ExpandGlobal(ctx, from.image);
    st.stage.platform = ExpandGlobal(ctx, from.platform);
  } catch (const Error& e) {
    FailAt(ctx, src.from.location, e.what());
  }
  if (image.empty()) {
    FailAt(ctx, src.from.location, "base name (" + from.image + ") should not be blank");
  }
  // The stage's platform: FROM --platform (normalised, so "linux/aarch64" is linux/arm64 in the
  // plan and the cache key), else the build's target platform.
  Platform platform;
  try {
    platform = ParsePlatform(st.stage.platform.empty() ? ctx.options->platform : st.stage.platform);
  } catch (const Error& e) {
    FailAt(ctx, src.from.location, "FROM --platform=" + from.platform + ": " + e.what());
  }
  if (!st.stage.platform.empty()) st.stage.platform = ToString(platform);
  auto named = ctx.stage_names.find(ToLower(image));
  const std::string* context_ref = NamedContext(ctx, image);
  if (context_ref) {
    st.stage.base = plan::StageRef::Image(*context_ref);
    try {
      st.config = (*ctx.resolve)(*context_ref, platform);
    } catch (const std::exception& e) {
      FailAt(ctx, src.from.location, e.what());
    }
  } else if (ToLower(image) == "scratch") {
    st.stage.base = plan::StageRef::Image("scratch");
    st.config = ScratchConfig(platform);
  } else if (named != ctx.stage_names.end() && named->second < index) {
    const StageState& parent = EnsureLowered(ctx, named->second);
    st.stage.base = plan::StageRef::Stage(named->second);
    st.config = parent.config;
    st.state_env = parent.state_env;  // a stage inherits its parent's ARGs
    st.arg_names = parent.arg_names;
    st.args = parent.args;
    st.deps.insert(named->second);
  } else {
    st.stage.base = plan::StageRef::Image(image);
    try {
      st.config = (*ctx.resolve)(image, platform);
    } catch (const std::exception& e) {
      FailAt(ctx, src.from.location, e.what());
    }
  }
  if (!st.stage.base.stage()) st.state_env = EnvList::FromStrings(st.config.env);
  st.stage.base_config = st.config;
}

void LowerStage(LowerContext& ctx, StageState& st, int index) {
  StartStage(ctx, st, index);
  const StageInstructions& src = ctx.file->stages[index];
  RunTriggers(ctx, st, src.from.location);
  for (const Instruction& instr : src.commands) {
    try {
      LowerInstruction(ctx, st, instr);
    } catch (const ParseError&) {
      throw;
    } catch (const Error& e) {
      FailAt(ctx, instr.location, e.what());
    }
  }
}

int FindTarget(const LowerContext& ctx) {
  const std::string& target = ctx.options->target;
  if (target.empty()) return static_cast<int>(ctx.file->stages.size()) - 1;
  auto it = ctx.stage_names.find(ToLower(target));
  if (it == ctx.stage_names.end()) {
    std::string names;
    for (const auto& [name, i] : ctx.stage_names) names += (names.empty() ? "" : ", ") + name;
    throw Error("target stage \"" + target + "\" could not be found" +
                (names.empty() ? std::string(" (no stage is named)") : " (stages: " + names + ")"));
  }
  return it->second;
}

// Depth-first, dependencies first: every stage follows the stages it reads.
void Collect(const LowerContext& ctx, int index, std::set<int>& seen, std::vector<int>& order) {
  if (!seen.insert(index).second) return;
  for (int dep : ctx.done[index]->deps) Collect(ctx, dep, seen, order);
  order.push_back(index);
}

std::string UnusedBuildArgsWarning(const LowerContext& ctx, const std::set<int>& needed) {
  std::set<std::string> consumed = ctx.consumed_build_args;
  for (int i : needed) {
    consumed.insert(ctx.done[i]->consumed_build_args.begin(), ctx.done[i]->consumed_build_args.end());
  }
  std::string unused;
  for (const auto& [name, value] : ctx.options->build_args) {
    if (consumed.count(name) || IsProxyArg(name) || IsNonEnvArg(name)) continue;
    if (name == "SOURCE_DATE_EPOCH") continue;  // the build's epoch, given by the builder too
    if (StartsWith(name, "BUILDKIT_")) continue;
    unused += (unused.empty() ? "" : " ") + name;
  }
  if (unused.empty()) return "";
  return "[Warning] One or more build-args [" + unused + "] were not consumed";
}

}  // namespace

StageState& EnsureLowered(LowerContext& ctx, int index) {
  if (ctx.done[index]) return *ctx.done[index];
  if (ctx.in_progress[index]) {
    throw Error("circular dependency detected on stage: " + std::to_string(index));
  }
  ctx.in_progress[index] = true;
  StageState st;
  LowerStage(ctx, st, index);
  ctx.in_progress[index] = false;
  ctx.done[index] = std::move(st);
  return *ctx.done[index];
}

plan::Plan Lower(const Dockerfile& file, const Options& options, const ConfigResolver& resolve) {
  LowerContext ctx;
  ctx.file = &file;
  ctx.options = &options;
  ctx.resolve = &resolve;
  ctx.done.resize(file.stages.size());
  ctx.in_progress.assign(file.stages.size(), false);
  for (size_t i = 0; i < file.stages.size(); ++i) {
    const auto& from = std::get<FromInstr>(file.stages[i].from.detail);
    if (from.name.empty()) continue;
    if (!ctx.stage_names.emplace(from.name, static_cast<int>(i)).second) {
      FailAt(ctx, file.stages[i].from.location,
             "duplicate stage name \"" + from.name + "\": stage names must be unique");
    }
  }
  AddPlatformArgs(ctx);
  // BuildKit's automatic TARGETSTAGE: the stage being built (--target, else the last stage's
  // name), "default" for an unnamed last stage.
  std::string last = std::get<FromInstr>(file.stages.back().from.detail).name;
  ctx.global_args["TARGETSTAGE"] = !options.target.empty() ? ToLower(options.target) : last.empty() ? "default" : last;
  LowerMetaArgs(ctx);
  plan::Plan out;
  try {
    out.target = FindTarget(ctx);
  } catch (const Error& e) {
    throw ParseError({file.file, 0, 0}, e.what());
  }
  EnsureLowered(ctx, out.target);
  std::set<int> needed;
  Collect(ctx, out.target, needed, out.build_order);
  for (size_t i = 0; i < file.stages.size(); ++i) {
    if (ctx.done[i]) {
      out.stages.push_back(std::move(ctx.done[i]->stage));
      out.stages.back().depends_on.assign(ctx.done[i]->deps.begin(), ctx.done[i]->deps.end());
      continue;
    }
    // Not needed by the target: listed (indexes stay stable) but neither resolved nor lowered.
    plan::Stage skipped;
    skipped.index = static_cast<int>(i);
    skipped.name = std::get<FromInstr>(file.stages[i].from.detail).name;
    skipped.location = file.stages[i].from.location;
    out.stages.push_back(std::move(skipped));
  }
  if (std::string w = UnusedBuildArgsWarning(ctx, needed); !w.empty()) out.warnings.push_back(w);
  out.source_date_epoch_default = ctx.source_date_epoch_default;
  out.source_date_epoch_at = ctx.source_date_epoch_at;
  return out;
}

}  // namespace cairn::frontend
