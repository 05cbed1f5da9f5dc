#include "builder/step_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "builder/unsynced_write.h"
#include "runtime/resource_limits.h"
#include "store/image.h"

namespace cairn::builder {

using nlohmann::json;

static json ActionJson(const plan::Action& action) {
  struct Visitor {
    json operator()(const plan::NoAction&) const { return json{{"kind", "none"}}; }
    json operator()(const plan::RunAction& r) const {
      json mounts = json::array();
      for (auto& m : r.mounts) mounts.push_back({{"type", m.type}, {"options", plan::KeyedOptions(m)}});
      json heredocs = json::array();
      for (auto& h : r.heredocs) heredocs.push_back({{"name", h.name}, {"content", h.content}});
      json key = {{"kind", "run"}, {"argv", r.argv}, {"build_env", r.build_env}, {"network", r.network},
                  {"security", r.security}, {"mounts", mounts}, {"heredocs", heredocs}};
      // Only when given, so that steps keyed before these flags existed keep their keys. As
      // BuildKit: a host name counts, not the address it is given (another machine's IP for
      // the same name is the same build).
      if (!r.add_hosts.empty()) {
        json names = json::array();
        for (auto& h : r.add_hosts) names.push_back(runtime::AddHostName(h));
        key["add_hosts"] = names;
      }
      if (!r.shm_size.empty()) key["shm_size"] = r.shm_size;
      if (!r.ulimits.empty()) key["ulimits"] = r.ulimits;
      return key;
    }
    json operator()(const plan::CopyAction& c) const {
      json inl = json::array();
      for (auto& h : c.inline_sources) inl.push_back({{"name", h.name}, {"content", h.content}});
      return {{"kind", c.is_add ? "add" : "copy"}, {"sources", c.sources}, {"inline", inl}, {"dest", c.dest},
              {"dest_is_dir", c.dest_is_dir}, {"from", c.from ? plan::KeyText(*c.from) : ""}, {"chown", c.chown}, {"chmod", c.chmod},
              {"link", c.link}, {"parents", c.parents}, {"excludes", c.excludes}, {"checksum", c.checksum}};
    }
    json operator()(const plan::MkdirAction& m) const { return {{"kind", "mkdir"}, {"path", m.path}}; }
  };
  return std::visit(Visitor{}, action);
}

// Rule: only RUN reads the environment, the shell and the build args while it executes; every
// other step had them expanded into its action when the Dockerfile was planned. So they are
// inputs of RUN's key only, and changing a build arg COPY does not use keeps COPY cached (as in
// BuildKit). The steps after it still see the change through their own keys.
static bool ReadsEnvironment(const plan::Step& step) { return std::holds_alternative<plan::RunAction>(step.action); }

static const std::vector<std::string> kNone;
static const std::map<std::string, std::string> kNoArgs;

std::string StepCacheKey(const std::string& parent_key, const plan::Step& step, const std::string& sources_digest,
                         const std::string& layer_format) {
  bool env = ReadsEnvironment(step);
  json k = {{"v", 1},
            {"parent", parent_key},
            {"action", ActionJson(step.action)},
            {"env", env ? step.config.env : kNone},
            {"workdir", step.config.workdir},
            {"user", step.config.user},
            {"shell", env ? step.config.shell : kNone},
            {"args", env ? step.args_in_scope : kNoArgs},
            {"sources", sources_digest},
            {"layer_format", layer_format}};
  return DigestOf(store::CanonicalJson(k));
}

StepInputs StepInputsOf(const std::string& key, const plan::Step& step, const std::string& sources_digest,
                        std::map<std::string, std::string> files, const std::string& layer_format) {
  StepInputs in;
  in.key = key;
  in.instruction = step.display;
  in.action = DigestOf(store::CanonicalJson(ActionJson(step.action)));
  if (ReadsEnvironment(step)) in.args = step.args_in_scope;
  for (auto& kv : ReadsEnvironment(step) ? step.config.env : kNone) {
    size_t eq = kv.find('=');
    in.env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  in.workdir = step.config.workdir;
  in.user = step.config.user;
  for (auto& word : ReadsEnvironment(step) ? step.config.shell : kNone) in.shell += (in.shell.empty() ? "" : " ") + word;
  // Paths and short digests: enough to say which file changed, a fraction of the listing's size.
  constexpr size_t kMaxFiles = 100000;
  if (files.size() <= kMaxFiles)
    for (auto& [path, entry] : files) in.files[path] = DigestHex(DigestOf(entry)).substr(0, 16);
  in.sources = sources_digest;
  in.layer_format = layer_format;
  return in;
}

StepCache::StepCache(store::Store& store) : store_(store), records_(store) {}

std::optional<CacheRecord> StepCache::Lookup(const std::string& key) const {
  std::optional<CacheRecord> rec = records_.Get(key);
  if (rec && rec->layer && !store_.HasBlob(rec->layer->descriptor.digest)) return std::nullopt;
  return rec;
}

void StepCache::Record(const std::string& key, const CacheRecord& record) { records_.Put(key, record); }

// --- explanations (<store>/cache-hints/) ---

namespace {

constexpr size_t kChildrenKept = 4;     // inputs remembered per parent key, most recently used first
constexpr size_t kParentsKept = 4096;   // parent keys remembered; the least recently changed go first

std::string ReadSmall(const std::string& path) {
  try {
    return PathExists(path) ? ReadFile(path) : "";
  } catch (const Error&) {
    return "";
  }
}

// Drops the least recently used children of a parent beyond kChildrenKept.
void TrimChildren(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> children;
  for (auto& name : ListDir(dir)) {
    if (!name.ends_with(".json")) continue;
    struct stat st{};
    if (::lstat(JoinPath(dir, name).c_str(), &st) == 0)
      children.emplace_back(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, name);
  }
  if (children.size() <= kChildrenKept) return;
  std::sort(children.rbegin(), children.rend());
  for (size_t i = kChildrenKept; i < children.size(); i++) ::unlink(JoinPath(dir, children[i].second).c_str());
}

// Drops the least recently changed parents beyond kParentsKept, so explanations stay bounded
// however many builds the store sees. Run only when a parent is added.
void TrimParents(const std::string& explain) {
  std::vector<std::string> names = ListDir(explain);
  if (names.size() <= kParentsKept) return;
  std::vector<std::pair<int64_t, std::string>> parents;
  for (auto& name : names) {
    struct stat st{};
    if (::lstat(JoinPath(explain, name).c_str(), &st) == 0)
      parents.emplace_back(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, name);
  }
  std::sort(parents.rbegin(), parents.rend());
  for (size_t i = kParentsKept; i < parents.size(); i++) RemoveAll(JoinPath(explain, parents[i].second));
}

std::string FirstWord(const std::string& s) { return s.substr(0, s.find(' ')); }

// Of the children remembered for a parent, the one this step most likely is a new version of:
// the same instruction text (its sources or args changed), else the same instruction keyword,
// else the most recent. Sibling stages share a parent, so the most recent child alone would
// often be another stage's step ("was RUN x, now COPY y").
std::optional<StepInputs> ClosestEarlierChild(const std::string& dir, const StepInputs& now) {
  std::string latest = ReadSmall(JoinPath(dir, "latest"));
  std::optional<StepInputs> best;
  int best_score = -1;
  for (auto& name : IsDirectory(dir) ? ListDir(dir) : std::vector<std::string>{}) {
    if (!name.ends_with(".json")) continue;
    std::optional<StepInputs> child;
    try {
      child = StepInputsFromJson(json::parse(ReadSmall(JoinPath(dir, name))));
    } catch (const json::exception&) {
    }
    if (!child) continue;
    int score = (child->instruction == now.instruction)                        ? 4
                : (FirstWord(child->instruction) == FirstWord(now.instruction)) ? 2
                                                                                : 0;
    if (IsValidDigest(latest) && child->key == latest) score += 1;
    if (score > best_score) {
      best_score = score;
      best = std::move(child);
    }
  }
  return best;
}

}  // namespace

std::string StepCache::ExplainDir(const std::string& parent_key) const {
  // The parent may be "scratch": hash it so that every parent gives a valid file name.
  return JoinPath(JoinPath(store_.root(), "cache-hints/explain"), DigestHex(DigestOf(parent_key)));
}

std::string StepCache::StageFile(const std::string& stage_id) const {
  return JoinPath(JoinPath(store_.root(), "cache-hints/stages"), DigestHex(DigestOf(stage_id)));
}

std::optional<std::string> StepCache::ExplainFirstMiss(StageCacheScope& scope, const std::string& parent_key,
                                                       const StepInputs& inputs) const {
  if (scope.skip_lookup || scope.miss_explained) return std::nullopt;
  scope.miss_explained = true;
  MissFacts facts;
  facts.now = inputs;
  facts.before = ClosestEarlierChild(ExplainDir(parent_key), inputs);
  facts.first_step = parent_key == scope.base_key;
  facts.base_name = scope.base_name;
  facts.base_now = scope.base_key;
  if (facts.first_step) {
    std::string base = ReadSmall(StageFile(scope.stage_id));
    if (!base.empty()) facts.base_before = base;
  }
  return ExplainMiss(facts);
}

void StepCache::RememberInputs(const StageCacheScope& scope, const std::string& parent_key,
                               const StepInputs& inputs) {
  try {
    std::string dir = ExplainDir(parent_key);
    std::string latest = JoinPath(dir, "latest");
    if (ReadSmall(latest) != inputs.key) {
      if (!IsDirectory(dir)) {
        MakeDirs(dir);
        TrimParents(dir.substr(0, dir.rfind('/')));
      }
      std::string file = JoinPath(dir, DigestHex(inputs.key) + ".json");
      if (PathExists(file)) {
        (void)::utimensat(AT_FDCWD, file.c_str(), nullptr, 0);  // used again: last to be trimmed
      } else {
        WriteFileUnsynced(file, StepInputsToJson(inputs).dump());
        TrimChildren(dir);
      }
      WriteFileUnsynced(latest, inputs.key);
    }
    if (parent_key == scope.base_key && !scope.stage_id.empty()) {
      std::string stage = StageFile(scope.stage_id);
      if (ReadSmall(stage) != scope.base_key) {
        MakeDirs(stage.substr(0, stage.rfind('/')));
        WriteFileUnsynced(stage, scope.base_key);
      }
    }
  } catch (const std::exception&) {
    // An explanation that cannot be kept is only a less helpful message next time.
  }
}

}  // namespace cairn::builder
