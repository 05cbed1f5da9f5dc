#include "builder/builder.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "builder/context_index.h"
#include "builder/copy.h"
#include "builder/fetch_url.h"
#include "builder/git_modes.h"
#include "builder/image_config.h"
#include "builder/layer_stack.h"
#include "builder/overlay_child.h"
#include "builder/run_mounts.h"
#include "builder/run_step.h"
#include "builder/stage_scheduler.h"
#include "builder/step_cache.h"
#include "builder/users.h"
#include "frontend/dockerignore.h"
#include "frontend/frontend.h"
#include "runtime/cancel.h"
#include "runtime/snapshotter.h"
#include "store/image.h"
#include "store/layer.h"

namespace cairn::builder {

using nlohmann::json;

namespace {

// What a stage has built so far.
struct StageState {
  json config;  // the image config being written
  std::vector<store::Descriptor> layers;
  std::vector<std::string> diff_ids;
  std::string cache_key;  // key of the last step (or the base's identity)
  StageCacheScope cache_scope;  // set per stage by BuildStage
  std::vector<store::CacheEntry> records;  // of every step that made this state, base stages' too
};

// COPY runs in a child that changes directory to mount overlays: every path must be absolute.
BuildOptions WithAbsolutePaths(BuildOptions o) {
  o.context_dir = std::filesystem::absolute(o.context_dir).lexically_normal().string();
  while (o.context_dir.size() > 1 && o.context_dir.back() == '/') o.context_dir.pop_back();
  if (!o.dockerfile_path.empty()) o.dockerfile_path = std::filesystem::absolute(o.dockerfile_path).string();
  return o;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

class BuildRun {
 public:
  BuildRun(store::Store& store, Progress& progress, const BuildOptions& options, const ContainerRunner& run)
      : store_(store), progress_(progress), options_(WithAbsolutePaths(options)), run_(run), cache_(store) {}
  // Downloads a cache hit made unnecessary.
  ~BuildRun() {
    for (auto& [step, fetched] : fetched_) RemoveFetched(fetched);
  }

  BuildResult Run() {
    std::string dockerfile = options_.dockerfile_path.empty() ? JoinPath(options_.context_dir, "Dockerfile")
                                                              : options_.dockerfile_path;
    if (!IsDirectory(options_.context_dir))
      throw Error("build context " + options_.context_dir + ": not a directory");
    std::string text;
    try {
      text = ReadFile(dockerfile);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " (pass the Dockerfile with -f FILE)");
    }
    LoadIgnoreFile(dockerfile);
    git_modes_ = GitModes::ForContext(options_.context_dir);
    frontend::Options fopts;
    fopts.dockerfile_name = DisplayName(dockerfile);
    fopts.build_args = options_.build_args;
    fopts.target = options_.target;
    std::optional<SourceDateEpoch> explicit_epoch = options_.source_date_epoch;
    if (explicit_epoch) {
      fopts.build_args["SOURCE_DATE_EPOCH"] = std::to_string(explicit_epoch->seconds);  // the flag wins
    } else if (auto it = options_.build_args.find("SOURCE_DATE_EPOCH");
               it != options_.build_args.end() && !it->second.empty()) {
      explicit_epoch = SourceDateEpoch{ParseSourceDateEpoch(it->second, "--build-arg SOURCE_DATE_EPOCH"),
                                       "--build-arg SOURCE_DATE_EPOCH"};
    }
    if (explicit_epoch) fopts.source_date_epoch = std::to_string(explicit_epoch->seconds);
    plan_ = frontend::BuildPlan(text, fopts, [this](const std::string& ref) {
      return ConfigFromJson(LoadOrPull(ref).config);
    });
    for (auto& w : plan_.warnings) progress_.Note(w);
    if (!explicit_epoch && !plan_.source_date_epoch_default.empty()) {
      std::string where = plan_.source_date_epoch_at.file + ":" + std::to_string(plan_.source_date_epoch_at.line);
      explicit_epoch = SourceDateEpoch{ParseSourceDateEpoch(plan_.source_date_epoch_default, where),
                                       where + " (ARG SOURCE_DATE_EPOCH)"};
    }
    epochs_ = ResolveEpochs(explicit_epoch, options_.context_dir);
    progress_.Note("source date epoch: layers " + std::to_string(epochs_.layer.seconds) + " (" + epochs_.layer.from +
                   "), image " + std::to_string(epochs_.image.seconds) + " (" + epochs_.image.from + ")");
    states_.resize(plan_.stages.size());
    BuildStages();
    BuildResult result = Finish(states_[static_cast<size_t>(plan_.target)], plan_.stages[static_cast<size_t>(plan_.target)]);
    result.epochs = epochs_;
    result.image_cache = states_[static_cast<size_t>(plan_.target)].records;
    for (auto& state : states_) result.all_cache.insert(result.all_cache.end(), state.records.begin(), state.records.end());
    if (options_.fetch_cached_layers)
      for (auto& entry : result.all_cache)
        if (entry.layer) EnsureLocal({entry.layer->descriptor});
    return result;
  }

  // Why an imported cache failed this build (a layer it promised could not be fetched), or "".
  std::string RemoteFailure() const {
    std::lock_guard lock(remote_mu_);
    return remote_failure_;
  }

 private:
  std::string DisplayName(const std::string& dockerfile) const {
    std::string prefix = options_.context_dir + "/";
    if (dockerfile.compare(0, prefix.size(), prefix) == 0) return dockerfile.substr(prefix.size());
    return dockerfile;
  }

  // <Dockerfile>.dockerignore beside a custom -f wins over the context's .dockerignore.
  void LoadIgnoreFile(const std::string& dockerfile) {
    for (const std::string& path : {dockerfile + ".dockerignore", JoinPath(options_.context_dir, ".dockerignore")}) {
      if (PathExists(path)) {
        ignore_ = frontend::IgnoreMatcher::Parse(ReadFile(path));
        return;
      }
    }
  }

  StageState BaseState(const plan::Stage& stage) {
    if (stage.base == "scratch") {
      StageState s;
      s.config = ScratchImageConfig(stage.base_config);
      s.cache_key = "scratch";
      return s;
    }
    if (stage.base.rfind("stage:", 0) == 0) return states_.at(std::stoul(stage.base.substr(6)));
    store::Image image = LoadOrPull(stage.base);
    StageState s;
    s.config = image.config;
    s.layers = image.layers;
    s.diff_ids = image.diff_ids;
    s.cache_key = image.manifest_descriptor.digest;
    return s;
  }

  std::vector<std::string> LowerDirs(const StageState& s) {
    EnsureLocal(s.layers);
    return LowerDirsFor(store_, s.layers, s.diff_ids);
  }

  // A record of an imported cache (--cache-from) for key, or nullopt. Its layer's blob is only
  // noted as owed (fetched by EnsureLocal when some step or the image needs it); the store's own
  // cache records it once the blob is here, so a store never holds a record without its layer.
  std::optional<CacheRecord> RemoteLookup(const std::string& key) {
    for (auto& cache : options_.cache_from) {
      auto it = cache.records.find(key);
      if (it == cache.records.end()) continue;
      const auto& layer = it->second.layer;
      if (layer && !store_.HasBlob(layer->descriptor.digest)) {
        std::lock_guard lock(remote_mu_);
        Owed& owed = owed_[layer->descriptor.digest];
        owed.from = &cache;
        owed.keys.push_back(key);
      } else {
        cache_.Record(key, it->second);
      }
      return it->second;
    }
    return std::nullopt;
  }

  // Fetches the owed blobs among layers (one at a time: parallel stages may owe the same one).
  // A failure is remembered (RemoteFailure), so Build can start over without the imported caches.
  void EnsureLocal(const std::vector<store::Descriptor>& layers) {
    std::lock_guard lock(remote_mu_);
    for (auto& layer : layers) {
      auto it = owed_.find(layer.digest);
      if (it == owed_.end()) continue;
      try {
        it->second.from->fetch_blob(layer);
      } catch (const std::exception& e) {
        remote_failure_ = "--cache-from " + it->second.from->name + ": " + e.what();
        throw Error(remote_failure_);
      }
      for (auto& key : it->second.keys) cache_.Record(key, it->second.from->records.at(key));
      owed_.erase(it);
    }
  }

  // "[name 2/5] RUN make" as BuildKit numbers steps: FROM is step 1 of each stage.
  std::string StepLabel(const plan::Stage& stage, size_t number, const std::string& text) const {
    std::string name;
    if (plan_.stages.size() > 1) name = (stage.name.empty() ? "stage-" + std::to_string(stage.index) : stage.name) + " ";
    return "[" + name + std::to_string(number) + "/" + std::to_string(stage.steps.size() + 1) + "] " + text;
  }

  // Stages that do not read each other build at the same time (--jobs). Their results land in
  // states_ slots fixed before any starts, so the image never depends on which finished first.
  void BuildStages() {
    std::vector<std::vector<int>> deps;
    for (auto& stage : plan_.stages) deps.push_back(StageDependencies(stage));
    int jobs = options_.jobs > 0 ? options_.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    RunStages(plan_.build_order, deps, jobs, [this](int index) {
      try {
        BuildStage(plan_.stages[static_cast<size_t>(index)]);
      } catch (...) {
        // The first failure ends the build: the RUN steps other stages are in the middle of are
        // killed rather than waited for, and what that does to them is not reported (only the
        // first failure is the build's error).
        if (stop_.exchange(true)) return;
        runtime::KillRunningContainers();
        throw;
      }
    }, stop_);
  }

  void BuildStage(const plan::Stage& stage) {
    int id = ++next_id_;
    auto start = std::chrono::steady_clock::now();
    std::string base = stage.base.rfind("stage:", 0) == 0
                           ? plan_.stages.at(std::stoul(stage.base.substr(6))).name
                           : stage.base;
    progress_.Started(id, StepLabel(stage, 1, "FROM " + base));
    StageState state = BaseState(stage);
    state.cache_scope = CacheScopeFor(stage, base, state.cache_key);
    progress_.Done(id, Seconds(start));
    for (size_t i = 0; i < stage.steps.size(); i++)
      RunOneStep(stage.steps[i], StepLabel(stage, i + 2, stage.steps[i].display), state);
    states_[static_cast<size_t>(stage.index)] = std::move(state);
  }

  // What shapes a layer's bytes besides the step itself (see the rule at its use). Only the layer
  // epoch: the image epoch (a commit time) is in no key, so a new commit keeps every step cached.
  std::string LayerFormatKey() const {
    return "epoch=" + std::to_string(epochs_.layer.seconds) + "|" + store::ToString(options_.compression);
  }

  // How the step cache treats this stage's steps; see StageCacheScope.
  StageCacheScope CacheScopeFor(const plan::Stage& stage, const std::string& base, const std::string& base_key) const {
    std::string name = stage.name.empty() ? std::to_string(stage.index) : stage.name;
    std::string dockerfile = options_.dockerfile_path.empty() ? JoinPath(options_.context_dir, "Dockerfile")
                                                              : options_.dockerfile_path;
    bool from_stage = stage.base.rfind("stage:", 0) == 0;
    return {dockerfile + "\n" + name, (from_stage ? "stage " : "image ") + base, base_key,
            options_.no_cache || options_.no_cache_filter.count(name) > 0};
  }

  // Digest of what a COPY/ADD reads, for its cache key; files: per-entry digests of context
  // sources (only to explain a miss).
  std::string SourcesDigest(const plan::Step& step, std::map<std::string, std::string>* files) {
    const auto* copy = std::get_if<plan::CopyAction>(&step.action);
    if (const auto* run = std::get_if<plan::RunAction>(&step.action)) {  // RUN --mount=type=bind from the context
      std::lock_guard lock(context_mu_);
      std::string digest = ContextMountsDigest(run->mounts, options_.context_dir, &context_index_);
      context_index_.Save();
      return digest;
    }
    if (!copy) return "";
    if (copy->from.rfind("stage:", 0) == 0) return states_.at(std::stoul(copy->from.substr(6))).cache_key;
    if (!copy->from.empty()) return LoadOrPull(copy->from).manifest_descriptor.digest;
    if (copy->sources.empty()) return "";
    // ADD may mix URLs and context files: each part is digested its own way.
    std::string urls = HasUrlSource(*copy) ? UrlSourcesDigest(step, *copy) : "";
    std::vector<std::string> local = LocalSources(*copy);
    if (local.empty()) return urls;
    std::lock_guard lock(context_mu_);  // the context index is shared by parallel stages
    auto matched = MatchSources(options_.context_dir, local, ignore_ ? &*ignore_ : nullptr);
    std::string digest =
        DigestSources(options_.context_dir, matched, ignore_ ? &*ignore_ : nullptr, &context_index_, files, &git_modes_);
    context_index_.Save();
    return urls.empty() ? digest : urls + "\n" + digest;
  }

  void RunOneStep(const plan::Step& step, const std::string& label, StageState& state) {
    runtime::ThrowIfCancelled();  // Ctrl-C between steps (runtime/cancel.h): start nothing more
    if (stop_) throw Error("stopped: another stage failed");  // that stage's error is the one reported
    int id = ++next_id_;
    auto start = std::chrono::steady_clock::now();
    progress_.Started(id, label);
    try {
      bool makes_layer = !std::holds_alternative<plan::NoAction>(step.action);
      std::optional<store::Layer> layer;
      if (makes_layer) {
        // Rule: a cached layer is reused only if it would come out byte-identical, so the key
        // includes what shapes the blob beyond the step: the clamp epoch and the compression.
        std::map<std::string, std::string> files;
        std::string sources = SourcesDigest(step, &files);
        // Rule (COPY --link): the layer is made on an empty tree, so its key leaves out the
        // parent and the layer is reused when an earlier step changes; the stage's chain key
        // (for the steps after it) still covers the parent.
        // A --chown by name is resolved in the parent's /etc/passwd, so that layer does depend
        // on the parent: it keeps the parent in its key (numeric ids do not need it).
        const auto* copy_action = std::get_if<plan::CopyAction>(&step.action);
        bool linked = copy_action && copy_action->link && IsNumericChown(copy_action->chown);
        std::string key = StepCacheKey(linked ? "link" : state.cache_key, step, sources, LayerFormatKey());
        StepInputs inputs = StepInputsOf(key, step, sources, std::move(files), LayerFormatKey());
        auto hit = state.cache_scope.skip_lookup ? std::nullopt : cache_.Lookup(key);
        if (!hit && !state.cache_scope.skip_lookup) hit = RemoteLookup(key);
        if (hit) {
          progress_.Cached(id);
          layer = hit->layer;
        } else {
          if (auto why = cache_.ExplainFirstMiss(state.cache_scope, state.cache_key, inputs)) progress_.CacheMiss(id, *why);
          layer = Execute(step, state, id);
          cache_.Record(key, CacheRecord{layer});
          progress_.Done(id, Seconds(start));
        }
        cache_.RememberInputs(state.cache_scope, state.cache_key, inputs);  // explains a later miss
        state.records.push_back({key, layer});
        state.cache_key = linked ? DigestOf(state.cache_key + "\n" + key) : key;
      } else {
        progress_.Done(id, Seconds(start));
      }
      AppendHistory(state, step, layer);
    } catch (const std::exception& e) {
      progress_.Failed(id, e.what());
      throw;
    }
  }

  MountInputs MountInputsFor(const std::vector<std::string>& lowers, const std::string& scratch) {
    MountInputs in;
    in.store_root = store_.root();
    in.context_dir = options_.context_dir;
    in.scratch = scratch;
    in.lowerdirs = lowers;
    in.secrets = options_.secrets;
    in.layers_of = [this](const std::string& from) {
      return LowerDirs(from.rfind("stage:", 0) == 0 ? states_.at(std::stoul(from.substr(6))) : ImageState(from));
    };
    return in;
  }

  // Said once, before the first step runs: a user who finds steps slow learns why. The probe is
  // the runtime's own (runtime/snapshotter.h), so it still runs at most once per process.
  void NoteCopyingSnapshotter(const std::string& scratch) {
    std::call_once(snapshotter_noted_, [&] {
      if (runtime::ChooseSnapshotter(scratch) == runtime::Snapshotter::kCopy && !runtime::SnapshotterForced())
        progress_.Note("note: overlay cannot be mounted in the store " + store_.root() +
                       " (its file system, or this kernel without rootless overlay); each step works on a copy of "
                       "its parent's files instead, which is slower. A store on ext4 or xfs avoids this.");
    });
  }

  std::optional<store::Layer> Execute(const plan::Step& step, const StageState& state, int id) {
    std::string scratch = store_.NewScratchDir("step-");
    NoteCopyingSnapshotter(scratch);
    std::string upper = JoinPath(scratch, "upper"), work = JoinPath(scratch, "work");
    MakeDirs(upper);
    MakeDirs(work);
    std::vector<std::string> lowers = LowerDirs(state);
    try {
      PreparedMounts mounts;  // held (cache locks) until the layer is committed
      if (auto* run = std::get_if<plan::RunAction>(&step.action)) {
        try {
          mounts = PrepareMounts(run->mounts, MountInputsFor(lowers, scratch));
        } catch (const std::exception& e) {
          throw Error(Where(step) + step.display + ": " + e.what());
        }
        RunStep({&step, lowers, upper, work, options_.network, epochs_.layer.seconds, id, &mounts}, progress_, run_);
      } else if (auto* copy = std::get_if<plan::CopyAction>(&step.action)) {
        ExecuteCopyStep(step, *copy, {lowers, upper, work}, scratch);
      } else if (auto* mk = std::get_if<plan::MkdirAction>(&step.action)) {
        ExecuteMkdir(step, *mk, {lowers, upper, work}, scratch);
      }
      store::SnapshotOptions snap;
      snap.source_date_epoch = epochs_.layer.seconds;
      snap.compression = options_.compression;
      snap.overlay_upper = true;
      // What the step's overlay showed, so that copy-ups it left unchanged are left out; never
      // for COPY --link, whose layer is made on an empty tree and must not depend on the parent.
      auto* copy = std::get_if<plan::CopyAction>(&step.action);
      if (!(copy && copy->link)) snap.lowerdirs = lowers;
      for (auto& p : runtime::MountPointStubs()) snap.exclude.insert(p);
      for (auto& p : mounts.stubs) snap.exclude.insert(p);  // RUN --mount targets made only as mount points
      auto layer = store::CommitLayerFromDir(store_, upper, snap);
      RemoveAll(scratch);
      return layer;
    } catch (...) {
      try {
        RemoveAll(scratch);
      } catch (...) {
      }
      throw;
    }
  }

  // "", "1000", "1000:1000": ids that need no /etc/passwd or /etc/group to resolve.
  static bool IsNumericChown(const std::string& chown) {
    return chown.find_first_not_of("0123456789:") == std::string::npos;
  }

  static bool HasUrlSource(const plan::CopyAction& copy) {
    for (auto& s : copy.sources)
      if (IsUrlSource(s)) return true;
    return false;
  }

  // The sources that are not URLs: paths in the context (or in --from's tree).
  static std::vector<std::string> LocalSources(const plan::CopyAction& copy) {
    std::vector<std::string> out;
    for (auto& s : copy.sources)
      if (!IsUrlSource(s)) out.push_back(s);
    return out;
  }

  // ADD <url>: one download per source, each in its own scratch dir. Errors name the line.
  std::vector<FetchedUrl> FetchAll(const plan::Step& step, const plan::CopyAction& copy) {
    std::vector<FetchedUrl> out;
    try {
      if (!copy.is_add) throw Error("COPY does not download URLs; use ADD");
      if (!copy.checksum.empty()) CheckChecksumForm(copy.checksum);
      if (!copy.checksum.empty() && copy.sources.size() > 1) throw Error("--checksum needs a single source");
      for (auto& url : copy.sources) {
        if (!IsUrlSource(url)) continue;
        std::string dir = store_.NewScratchDir("fetch-");
        out.push_back({url, JoinPath(dir, "download"), ""});  // so that a failed download is removed too
        out.back() = FetchUrl(options_.fetch_url, url, dir, copy.checksum);
      }
    } catch (const std::exception& e) {
      RemoveFetched(out);
      throw Error(Where(step) + e.what());
    }
    return out;
  }

  static void RemoveFetched(const std::vector<FetchedUrl>& fetched) {
    for (auto& f : fetched) {
      try {
        RemoveAll(f.path.substr(0, f.path.rfind('/')));
      } catch (...) {
      }
    }
  }

  // Rule (ADD <url>): keyed by --checksum when given, so a hit downloads nothing; otherwise by
  // the downloaded content's digest, so a changed remote file misses. That download is kept for
  // Execute.
  std::string UrlSourcesDigest(const plan::Step& step, const plan::CopyAction& copy) {
    if (!copy.checksum.empty()) {
      CheckChecksumForm(copy.checksum);
      return "url " + copy.checksum;
    }
    std::vector<FetchedUrl> fetched = FetchAll(step, copy);
    std::string key = "url";
    for (auto& f : fetched) key += " " + f.digest;
    std::lock_guard lock(fetched_mu_);
    RemoveFetched(fetched_[&step]);
    fetched_[&step] = std::move(fetched);
    return key;
  }

  // The downloads UrlSourcesDigest made for this step, or new ones.
  std::vector<FetchedUrl> TakeFetched(const plan::Step& step, const plan::CopyAction& copy) {
    {
      std::lock_guard lock(fetched_mu_);
      auto it = fetched_.find(&step);
      if (it != fetched_.end()) {
        std::vector<FetchedUrl> out = std::move(it->second);
        fetched_.erase(it);
        return out;
      }
    }
    return FetchAll(step, copy);
  }

  void ExecuteCopyStep(const plan::Step& step, const plan::CopyAction& copy, const OverlayDirs& target,
                       const std::string& scratch) {
    for (auto& s : copy.sources)
      if (s.find("://") != std::string::npos && !IsUrlSource(s))
        throw Error(Where(step) + "ADD of this URL is not supported (only http:// and https://): " + s);
    std::vector<FetchedUrl> fetched = HasUrlSource(copy) ? TakeFetched(step, copy) : std::vector<FetchedUrl>{};
    struct Cleanup {
      const std::vector<FetchedUrl>& f;
      ~Cleanup() { RemoveFetched(f); }
    } cleanup{fetched};
    // COPY --link writes onto an empty tree (its layer must not depend on the parent); the
    // parent is mounted read-only only to resolve --chown names.
    OverlayDirs dst = target;
    if (copy.link) dst.lowerdirs.clear();
    std::vector<OverlayDirs> stacks = {dst};
    std::string src_root = options_.context_dir;
    bool from_image = !copy.from.empty();
    if (from_image) {
      StageState src = copy.from.rfind("stage:", 0) == 0 ? states_.at(std::stoul(copy.from.substr(6)))
                                                          : ImageState(copy.from);
      stacks.push_back({LowerDirs(src), "", ""});
    }
    size_t users_root = 0;
    if (copy.link && !copy.chown.empty()) {
      stacks.push_back({target.lowerdirs, "", ""});
      users_root = stacks.size() - 1;
    }
    const frontend::IgnoreMatcher* ignore = from_image || !ignore_ ? nullptr : &*ignore_;
    std::optional<frontend::IgnoreMatcher> exclude;
    if (!copy.excludes.empty()) {
      std::string patterns;
      for (auto& p : copy.excludes) patterns += p + "\n";
      exclude = frontend::IgnoreMatcher::Parse(patterns);
    }
    std::optional<ChmodSpec> chmod;
    try {
      if (!copy.chmod.empty()) chmod = ChmodSpec::Parse(copy.chmod);
    } catch (const Error& e) {
      throw Error(Where(step) + e.what());
    }
    try {
      WithMountedStacks(scratch, stacks, [&](const std::vector<std::string>& roots) {
        CopyRequest req;
        req.src_root = from_image ? roots[1] : src_root;
        std::vector<std::string> local = LocalSources(copy);
        req.sources = local.empty() ? std::vector<std::string>{} : MatchSources(req.src_root, local, ignore);
        for (auto& f : fetched) req.fetched_files.emplace_back(UrlFileName(f.url), f.path);
        req.dst_root = roots[0];
        req.dest = copy.dest;
        req.dest_is_dir = copy.dest_is_dir;
        req.chmod = chmod;
        req.ignore = ignore;
        req.preserve_owner = from_image;
        if (!from_image) req.fixed_mtime = epochs_.layer.seconds;
        if (!from_image) req.git_modes = &git_modes_;
        req.exclude = exclude ? &*exclude : nullptr;
        req.parents = copy.parents;
        req.extract_archives = copy.is_add && copy.unpack.value_or(true);
        for (auto& f : copy.inline_sources) req.inline_files.emplace_back(f.name, f.content);
        if (!copy.chown.empty()) {
          UserIds ids = ResolveUser(copy.chown, ReaderInRoot(roots[users_root]));
          req.uid = ids.uid;
          req.gid = ids.gid;
        }
        ExecuteCopy(req);
      });
    } catch (const std::exception& e) {
      throw Error(Where(step) + step.display + ": " + e.what());
    }
  }

  void ExecuteMkdir(const plan::Step& step, const plan::MkdirAction& mk, const OverlayDirs& target,
                    const std::string& scratch) {
    try {
      WithMountedStacks(scratch, {target}, [&](const std::vector<std::string>& roots) {
        UserIds ids = ResolveUser(step.config.user, ReaderInRoot(roots[0]));
        MakeDirInRoot(roots[0], mk.path, ids.uid, ids.gid);
      });
    } catch (const std::exception& e) {
      throw Error(Where(step) + step.display + ": " + e.what());
    }
  }

  // An image by name or digest; pulled through options_.pull_image when the store lacks it.
  store::Image LoadOrPull(const std::string& ref) {
    std::lock_guard lock(pull_mu_);  // parallel stages may name the same image: pull it once
    bool local = ref.rfind("sha256:", 0) == 0 ? store_.HasBlob(ref) : store_.ResolveTag(ref).has_value();
    if (!local && options_.pull_image) options_.pull_image(ref);
    return store::LoadImage(store_, ref);
  }

  StageState ImageState(const std::string& ref) {
    store::Image image = LoadOrPull(ref);
    return StageState{image.config, image.layers, image.diff_ids, image.manifest_descriptor.digest, {}, {}};
  }

  static std::string Where(const plan::Step& step) {
    return step.location.file + ":" + std::to_string(step.location.line) + ": ";
  }

  // Docker writes history per instruction; a step whose change is empty has no layer.
  void AppendHistory(StageState& state, const plan::Step& step, const std::optional<store::Layer>& layer) {
    json h = {{"created", Rfc3339(epochs_.image.seconds)}, {"created_by", step.created_by},
              {"comment", "buildkit.dockerfile.v0"}};
    if (layer) {
      state.layers.push_back(layer->descriptor);
      state.diff_ids.push_back(layer->diff_id);
    } else {
      h["empty_layer"] = true;
    }
    if (!state.config.contains("history") || !state.config["history"].is_array()) state.config["history"] = json::array();
    state.config["history"].push_back(h);
    ApplyConfig(state.config, step.config);
  }

  BuildResult Finish(StageState& state, const plan::Stage& stage) {
    json& config = state.config;
    if (stage.steps.empty()) ApplyConfig(config, stage.base_config);
    for (auto& [k, v] : options_.labels) config["config"]["Labels"][k] = v;
    config["created"] = Rfc3339(epochs_.image.seconds);
    config["rootfs"] = {{"type", "layers"}, {"diff_ids", state.diff_ids}};
    EnsureLocal(state.layers);  // an image's blobs are all in the store
    store::Descriptor manifest = store::WriteImage(store_, config, state.layers);
    for (auto& tag : options_.tags) store_.SetTag(tag, manifest);
    store::Image image = store::LoadImage(store_, manifest.digest);
    BuildResult result;
    result.manifest = manifest;
    result.config_digest = image.config_descriptor.digest;
    return result;
  }

  store::Store& store_;
  Progress& progress_;
  const BuildOptions options_;
  const ContainerRunner& run_;
  StepCache cache_;
  ContextIndex context_index_{store_.root(), options_.context_dir};
  plan::Plan plan_;
  Epochs epochs_;  // set in Run() before any step: the two-epoch rule (builder/epoch.h)
  GitModes git_modes_;  // the context's files as git stores them (builder/git_modes.h); set in Run()
  std::vector<StageState> states_;
  std::optional<frontend::IgnoreMatcher> ignore_;
  std::atomic<int> next_id_{0};  // progress ids: unique across parallel stages
  std::atomic<bool> stop_{false};  // set when a stage failed: the others start no more steps
  std::mutex context_mu_;
  std::mutex fetched_mu_;
  std::map<const plan::Step*, std::vector<FetchedUrl>> fetched_;  // ADD <url> downloads awaiting Execute
  std::mutex pull_mu_;
  mutable std::mutex remote_mu_;
  std::once_flag snapshotter_noted_;
  struct Owed {
    const ImportedCache* from = nullptr;  // the cache that supplies the blob
    std::vector<std::string> keys;         // the hits that named it, recorded once it is here
  };
  std::map<std::string, Owed> owed_;  // layer digest -> what is owed
  std::string remote_failure_;
};

}  // namespace

BuildResult Build(store::Store& store, Progress& progress, const BuildOptions& options, const ContainerRunner& run) {
  BuildOptions opts = options;
  for (;;) {
    BuildRun attempt(store, progress, opts, run);
    try {
      return attempt.Run();
    } catch (...) {
      // Rule: a stale or corrupt imported cache never fails a build. Steps already done are in
      // the store's own cache now, so the second attempt redoes only what the import promised.
      std::string why = attempt.RemoteFailure();
      if (why.empty() || opts.cache_from.empty()) throw;
      progress.Note("warning: " + why + "; building again without the imported cache");
      opts.cache_from.clear();
    }
  }
}

}  // namespace cairn::builder
