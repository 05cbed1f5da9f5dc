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
#include "base/scope_guard.h"
#include "builder/attestation.h"
#include "builder/build_attestations.h"
#include "builder/context_index.h"
#include "builder/copy.h"
#include "builder/copy_step.h"
#include "builder/dockerfile_source.h"
#include "builder/fetch_url.h"
#include "builder/git_modes.h"
#include "builder/image_config.h"
#include "builder/imported_caches.h"
#include "builder/layer_stack.h"
#include "runtime/step_trees.h"
#include "builder/run_mounts.h"
#include "builder/run_step.h"
#include "builder/stage_scheduler.h"
#include "builder/stage_state.h"
#include "builder/step_cache.h"
#include "builder/step_error.h"
#include "builder/url_downloads.h"
#include "builder/users.h"
#include "frontend/dockerignore.h"
#include "frontend/frontend.h"
#include "runtime/emulation.h"
#include "runtime/network.h"
#include "store/image.h"
#include "store/layer.h"

namespace cairn::builder {

using nlohmann::json;

namespace {

// COPY runs in a child that changes directory to mount overlays: every path must be absolute.
BuildOptions WithAbsolutePaths(BuildOptions o) {
  o.context_dir = std::filesystem::absolute(o.context_dir).lexically_normal().string();
  while (o.context_dir.size() > 1 && o.context_dir.back() == '/') o.context_dir.pop_back();
  if (!o.dockerfile_path.empty()) o.dockerfile_path = std::filesystem::absolute(o.dockerfile_path).string();
  return o;
}

// Whether some RUN of the plan uses the default (outbound) network.
// The first RUN step of a stage the build makes, or null.
const plan::Step* FirstRunStep(const plan::Plan& plan) {
  for (int index : plan.build_order)
    for (const auto& step : plan.stages.at(static_cast<size_t>(index)).steps)
      if (std::holds_alternative<plan::RunAction>(step.action)) return &step;
  return nullptr;
}

bool NeedsOutboundNetwork(const plan::Plan& plan) {
  for (const auto& stage : plan.stages)
    for (const auto& step : stage.steps)
      if (auto* run = std::get_if<plan::RunAction>(&step.action); run && run->network == "default") return true;
  return false;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The epoch the user set: --source-date-epoch, else a non-empty --build-arg SOURCE_DATE_EPOCH
// (the Dockerfile's ARG default is the plan's, read once the plan is made).
std::optional<SourceDateEpoch> ExplicitEpoch(const BuildOptions& options) {
  if (options.source_date_epoch) return options.source_date_epoch;
  auto it = options.build_args.find("SOURCE_DATE_EPOCH");
  if (it == options.build_args.end() || it->second.empty()) return std::nullopt;
  return SourceDateEpoch{ParseSourceDateEpoch(it->second, "--build-arg SOURCE_DATE_EPOCH"),
                         "--build-arg SOURCE_DATE_EPOCH"};
}

// What the frontend needs of the build's options. Throws Error for a --network it cannot honour.
frontend::Options FrontendOptions(const BuildOptions& options, const std::string& dockerfile_name,
                                  std::map<std::string, std::string> named_contexts,
                                  const std::optional<SourceDateEpoch>& explicit_epoch) {
  if (!runtime::ParseNetwork(options.network))
    throw Error("--network " + options.network + ": use default (outbound), none (loopback only) or host");
  frontend::Options f;
  f.dockerfile_name = dockerfile_name;
  f.build_args = options.build_args;
  f.target = options.target;
  f.platform = ToString(options.platform);
  f.build_platform = ToString(options.build_platform);
  f.network = options.network;
  f.named_contexts = std::move(named_contexts);
  f.allow = options.allow;
  f.add_hosts = options.add_hosts;
  f.shm_size = options.shm_size;
  f.ulimits = options.ulimits;
  if (options.source_date_epoch)  // the flag wins over a build arg of the same name
    f.build_args["SOURCE_DATE_EPOCH"] = std::to_string(options.source_date_epoch->seconds);
  if (explicit_epoch) f.source_date_epoch = std::to_string(explicit_epoch->seconds);
  return f;
}

// The build's two epochs (builder/epoch.h): the explicit one, else the Dockerfile's ARG
// SOURCE_DATE_EPOCH default; a git context with neither dates the image by its commit.
Epochs BuildEpochs(std::optional<SourceDateEpoch> explicit_epoch, const plan::Plan& plan, const BuildOptions& options) {
  if (!explicit_epoch && !plan.source_date_epoch_default.empty()) {
    std::string where = plan.source_date_epoch_at.file + ":" + std::to_string(plan.source_date_epoch_at.line);
    explicit_epoch = SourceDateEpoch{ParseSourceDateEpoch(plan.source_date_epoch_default, where),
                                     where + " (ARG SOURCE_DATE_EPOCH)"};
  }
  Epochs epochs = ResolveEpochs(explicit_epoch, options.context_dir);
  if (!explicit_epoch && options.git_context)
    epochs.image = {options.git_context->commit_time,
                    "git commit " + options.git_context->commit + " of " + options.git_context->display};
  return epochs;
}

class BuildRun {
 public:
  BuildRun(store::Store& store, Progress& progress, const BuildOptions& options, runtime::Runtime& rt)
      : store_(store), progress_(progress), options_(WithAbsolutePaths(options)), rt_(rt), cache_(store) {}

  BuildResult Run() {
    DockerfileSource source = LoadDockerfile(options_.context_dir, options_.dockerfile_path);
    ignore_ = std::move(source.ignore);
    materials_.dockerfile_digest = DigestOf(source.text);
    dockerfile_display_ = options_.dockerfile_name.empty() ? source.display_name : options_.dockerfile_name;
    git_modes_ = options_.git_context ? *options_.git_context->modes : GitModes::ForContext(options_.context_dir);
    std::optional<SourceDateEpoch> explicit_epoch = ExplicitEpoch(options_);
    frontend::Options fopts = FrontendOptions(options_, dockerfile_display_, named_.References(), explicit_epoch);
    plan_ = frontend::BuildPlan(source.text, fopts, [this](const std::string& ref, const Platform& platform) {
      // A directory's image is made once the layer epoch is known; its config is empty anyway.
      if (NamedContexts::IsDir(ref)) return plan::ImageConfig{};
      return ConfigFromJson(LoadOrPull(ref, platform).config);
    });
    for (auto& w : plan_.warnings) progress_.Note(w);
    if (const plan::Step* run = FirstRunStep(plan_)) {
      // Before any step: a build that cannot finish here says so at once (runtime/isolation.h).
      if (std::string why = rt_.RunUnavailable(); !why.empty()) throw StepError(*run, "RUN cannot run here: " + why);
      if (std::string note = rt_.IsolationNote(); !note.empty()) progress_.Note(note);
    }
    if (NeedsOutboundNetwork(plan_))
      if (std::string note = rt_.PrepareOutboundNetwork(); !note.empty()) progress_.Note(note);
    secret_values_ = SecretValues(options_.secrets);
    epochs_ = BuildEpochs(explicit_epoch, plan_, options_);
    progress_.Note("source date epoch: layers " + std::to_string(epochs_.layer.seconds) + " (" + epochs_.layer.from +
                   "), image " + std::to_string(epochs_.image.seconds) + " (" + epochs_.image.from + ")");
    states_.resize(plan_.stages.size());
    BuildStages();
    BuildResult result = Finish(states_[static_cast<size_t>(plan_.target)], plan_.stages[static_cast<size_t>(plan_.target)]);
    result.epochs = epochs_;
    result.image_cache = states_[static_cast<size_t>(plan_.target)].records;
    for (auto& state : states_) result.all_cache.insert(result.all_cache.end(), state.records.begin(), state.records.end());
    result.cache_mounts = CacheMountsUsed();
    if (options_.fetch_cached_layers)
      for (auto& entry : result.all_cache)
        if (entry.layer) imported_.EnsureLocal({entry.layer->descriptor});
    return result;
  }

  // BuildKit's BUILDKIT_SANDBOX_HOSTNAME build arg: the hostname RUN steps see ("" = the
  // runtime's default).
  std::string SandboxHostname() const {
    auto it = options_.build_args.find("BUILDKIT_SANDBOX_HOSTNAME");
    return it == options_.build_args.end() ? "" : it->second;
  }

  // Why an imported cache failed this build (a layer it promised could not be fetched), or "".
  std::string RemoteFailure() const { return imported_.Failure(); }

 private:
  StageState BaseState(const plan::Stage& stage) {
    if (stage.base.is_scratch()) {
      StageState s;
      s.config = ScratchImageConfig(stage.base_config);
      // Rule: the step cache key includes the platform. A stage from an image keys on that
      // platform's manifest digest already; scratch is the same for every platform, so its
      // platform is written into the key (a RUN of a copied-in binary depends on it).
      s.cache_key = "scratch " + ToString(StagePlatform(stage));
      return s;
    }
    if (const int* parent = stage.base.stage()) return states_.at(static_cast<size_t>(*parent));
    store::Image image = LoadOrPull(*stage.base.image(), StagePlatform(stage));
    StageState s;
    s.config = image.config;
    s.layers = image.layers;
    s.diff_ids = image.diff_ids;
    s.cache_key = image.manifest_descriptor.digest;
    return s;
  }

  std::vector<std::string> LowerDirs(const StageState& s) {
    imported_.EnsureLocal(s.layers);
    return LowerDirsFor(store_, s.layers, s.diff_ids);
  }

  // "[name 2/5] RUN make" as BuildKit numbers steps: FROM is step 1 of each stage, except FROM
  // scratch, which loads nothing and is no step ("[stage-1 1/1] COPY ...").
  std::string StepLabel(const plan::Stage& stage, size_t number, const std::string& text) const {
    std::string name;
    if (plan_.stages.size() > 1) name = (stage.name.empty() ? "stage-" + std::to_string(stage.index) : stage.name) + " ";
    size_t total = stage.steps.size() + (stage.base.is_scratch() ? 0 : 1);
    return "[" + name + std::to_string(number) + "/" + std::to_string(total) + "] " + text;
  }

  // Stages that do not read each other build at the same time (--jobs). Their results land in
  // states_ slots fixed before any starts, so the image never depends on which finished first.
  void BuildStages() {
    std::vector<std::vector<int>> deps;
    for (auto& stage : plan_.stages) deps.push_back(stage.depends_on);
    int jobs = options_.jobs > 0 ? options_.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    RunStages(plan_.build_order, deps, jobs, [this](int index) {
      try {
        BuildStage(plan_.stages[static_cast<size_t>(index)]);
      } catch (...) {
        // The first failure ends the build: the RUN steps other stages are in the middle of are
        // killed rather than waited for, and what that does to them is not reported (only the
        // first failure is the build's error).
        if (stop_.exchange(true)) return;
        rt_.KillRunning();
        throw;
      }
    }, stop_);
  }

  void BuildStage(const plan::Stage& stage) {
    bool scratch = stage.base.is_scratch();
    int id = scratch ? 0 : ++next_id_;
    auto start = std::chrono::steady_clock::now();
    const int* parent = stage.base.stage();
    std::string base = parent ? plan_.stages.at(static_cast<size_t>(*parent)).name : *stage.base.image();
    if (!scratch) progress_.Started(id, StepLabel(stage, 1, "FROM " + base));
    StageState state = BaseState(stage);
    // FROM another stage keeps that stage's platform unless --platform says otherwise (BuildKit).
    if (!parent || !stage.platform.empty()) state.platform = StagePlatform(stage);
    state.cache_scope = CacheScopeFor(stage, base, state.cache_key);
    if (!scratch) progress_.Done(id, Seconds(start));
    size_t first = scratch ? 1 : 2;
    for (size_t i = 0; i < stage.steps.size(); i++)
      RunOneStep(stage.steps[i], StepLabel(stage, i + first, stage.steps[i].display), state);
    states_[static_cast<size_t>(stage.index)] = std::move(state);
  }

  // What shapes a layer's bytes besides the step itself (see the rule at its use). Only the layer
  // epoch: the image epoch (a commit time) is in no key, so a new commit keeps every step cached.
  std::string LayerFormatKey() const {
    return "epoch=" + std::to_string(epochs_.layer.seconds) + "|" + store::Describe(options_.compression);
  }

  // How the step cache treats this stage's steps; see StageCacheScope.
  StageCacheScope CacheScopeFor(const plan::Stage& stage, const std::string& base, const std::string& base_key) const {
    std::string name = stage.name.empty() ? std::to_string(stage.index) : stage.name;
    std::string dockerfile = DockerfilePath(options_.context_dir, options_.dockerfile_path);
    bool from_stage = stage.base.stage() != nullptr;
    // A miss is explained against the last build for the same platform (another platform's
    // build has another base image); the host's platform keeps the scope it always had.
    Platform platform = StagePlatform(stage);
    std::string scope = platform == options_.build_platform ? name : name + "\n" + ToString(platform);
    return {dockerfile + "\n" + scope, (from_stage ? "stage " : "image ") + base, base_key,
            options_.no_cache || options_.no_cache_filter.count(name) > 0};
  }

  // Digest of what a COPY/ADD reads, for its cache key; files: per-entry digests of context
  // sources (only to explain a miss).
  std::string SourcesDigest(const plan::Step& step, std::map<std::string, std::string>* files) {
    const auto* copy = std::get_if<plan::CopyAction>(&step.action);
    if (const auto* run = std::get_if<plan::RunAction>(&step.action)) {  // RUN --mount=type=bind from the context
      std::string digest;
      {
        std::lock_guard lock(context_mu_);
        digest = ContextMountsDigest(run->mounts, options_.context_dir, &context_index_, files);
        context_index_.Save();
      }
      // A mount from= a stage or image (bind, or the seed of a cache) reads its files: its key.
      for (auto& m : run->mounts)
        if (m.from)
          digest += "\nfrom " + plan::KeyText(*m.from) + " " +
                    (m.from->stage() ? states_.at(static_cast<size_t>(*m.from->stage())).cache_key
                                     : LoadOrPull(*m.from->image()).manifest_descriptor.digest);
      if (!SandboxHostname().empty()) digest += "\nhostname " + SandboxHostname();
      return digest;
    }
    if (!copy) return "";
    if (copy->from) {
      if (const int* index = copy->from->stage()) return states_.at(static_cast<size_t>(*index)).cache_key;
      return LoadOrPull(*copy->from->image()).manifest_descriptor.digest;
    }
    if (copy->sources.empty()) return "";
    if (copy->keep_git_dir && !std::any_of(copy->sources.begin(), copy->sources.end(), IsGitUrl))
      throw StepError(step, "--keep-git-dir keeps the .git directory of a git source, and no source is a git repository");
    // ADD may mix URLs and context files: each part is digested its own way.
    std::string urls = HasUrlSource(*copy) ? downloads_.SourcesDigest(step, *copy) : "";
    std::vector<std::string> local = LocalSources(*copy);
    if (local.empty()) return urls;
    std::lock_guard lock(context_mu_);  // the context index is shared by parallel stages
    auto matched = MatchSources(options_.context_dir, local, ignore_ ? &*ignore_ : nullptr, copy->parents);
    std::string digest =
        DigestSources(options_.context_dir, matched, ignore_ ? &*ignore_ : nullptr, &context_index_, files, &git_modes_);
    context_index_.Save();
    return urls.empty() ? digest : urls + "\n" + digest;
  }

  // One step: its key; a hit reuses the recorded layer, a miss runs the step and commits its
  // layer; either way the step gets its history entry.
  void RunOneStep(const plan::Step& step, const std::string& label, StageState& state) {
    rt_.ThrowIfCancelled();  // Ctrl-C between steps (runtime/cancel.h): start nothing more
    if (stop_) throw Error("stopped: another stage failed");  // that stage's error is the one reported
    int id = ++next_id_;
    auto start = std::chrono::steady_clock::now();
    // As BuildKit's progress: a secret's value never shows, not even in the instruction's text.
    progress_.Started(id, MaskSecrets(label, secret_values_));
    try {
      std::optional<store::Layer> layer;
      if (std::holds_alternative<plan::NoAction>(step.action)) {
        progress_.Done(id, Seconds(start));
      } else {
        StepKey key = KeyFor(step, state);
        std::optional<CacheRecord> hit = Lookup(key.key, state.cache_scope);
        if (hit) {
          progress_.Cached(id);
          layer = hit->layer;
        } else {
          if (auto why = cache_.ExplainFirstMiss(state.cache_scope, state.cache_key, key.inputs)) progress_.CacheMiss(id, *why);
          layer = Execute(step, state, id);
          if (layer) progress_.LayerWritten(id, layer->descriptor.size);
          cache_.Record(key.key, CacheRecord{layer});
          progress_.Done(id, Seconds(start));
        }
        cache_.RememberInputs(state.cache_scope, state.cache_key, key.inputs);  // explains a later miss
        state.records.push_back({key.key, layer});
        state.cache_key = key.chain_key;
      }
      AppendHistory(state, step, layer, epochs_.image.seconds);
    } catch (const std::exception& e) {
      progress_.Failed(id, e.what());
      throw;
    }
  }

  struct StepKey {
    std::string key;        // the step's cache key: what its layer is recorded under
    std::string chain_key;  // what the next step's key builds on
    StepInputs inputs;      // to explain a miss
  };

  StepKey KeyFor(const plan::Step& step, const StageState& state) {
    // Rule: a cached layer is reused only if it would come out byte-identical, so the key
    // includes what shapes the blob beyond the step: the clamp epoch and the compression.
    std::map<std::string, std::string> files;
    std::string sources;
    try {
      sources = SourcesDigest(step, &files);  // a missing source or --from image fails here
    } catch (const std::exception& e) {
      throw StepError(step, e.what());
    }
    if (!files.empty()) {  // what the build read of the context, for its provenance
      std::lock_guard lock(materials_mu_);
      materials_.context_files.insert(files.begin(), files.end());
    }
    // Rule (COPY --link): the layer is made on an empty tree, so its key leaves out the
    // parent and the layer is reused when an earlier step changes; the stage's chain key
    // (for the steps after it) still covers the parent.
    // A --chown by name is resolved in the parent's /etc/passwd, so that layer does depend
    // on the parent: it keeps the parent in its key (numeric ids do not need it).
    const auto* copy_action = std::get_if<plan::CopyAction>(&step.action);
    bool linked = copy_action && copy_action->link && IsNumericChown(copy_action->chown);
    std::string key = StepCacheKey(linked ? "link" : state.cache_key, step, sources, LayerFormatKey());
    StepInputs inputs = StepInputsOf(key, step, sources, std::move(files), LayerFormatKey());
    return {key, linked ? DigestOf(state.cache_key + "\n" + key) : key, std::move(inputs)};
  }

  // The store's own cache, then the imported ones; nothing with --no-cache (or its filter).
  std::optional<CacheRecord> Lookup(const std::string& key, const StageCacheScope& scope) {
    if (scope.skip_lookup) return std::nullopt;
    if (auto hit = cache_.Lookup(key)) return hit;
    return imported_.Lookup(key);
  }

  // The cache mounts without from= of every RUN of the stages built, with the stage's platform.
  std::vector<store::CacheMountName> CacheMountsUsed() const {
    std::set<store::CacheMountName> used;
    for (int i : plan_.build_order)
      for (auto& step : plan_.stages[static_cast<size_t>(i)].steps)
        if (auto* run = std::get_if<plan::RunAction>(&step.action))
          for (auto& m : run->mounts)
            if (m.type == "cache" && !m.from && (m.options.count("id") || m.options.count("target")))
              used.insert({CacheMountId(m), ToString(states_[static_cast<size_t>(i)].platform)});
    return {used.begin(), used.end()};
  }

  // A cache mount this store makes for the first time takes the imported snapshot of its id and
  // platform, if any. A snapshot that cannot be had leaves the mount empty (a cold cache), with
  // a warning: the step's result cannot depend on a cache mount's files.
  void SeedCacheMount(const std::string& id, const Platform& platform, const std::string& dir) {
    store::CacheMountName name{id, ToString(platform)};
    try {
      std::string from = imported_.SeedMount(name, dir);
      if (!from.empty()) progress_.Note("cache mount id=" + id + " (" + name.platform + ") seeded from " + from);
    } catch (const std::exception& e) {
      progress_.Note("warning: cache mount id=" + id + ": the imported snapshot could not be restored (" +
                     e.what() + "); it starts empty");
      RemoveAll(dir);
      MakeDirs(dir);
    }
  }

  MountInputs MountInputsFor(const std::vector<std::string>& lowers, const std::string& scratch,
                             const Platform& platform) {
    MountInputs in;
    in.store_root = store_.root();
    in.context_dir = options_.context_dir;
    in.scratch = scratch;
    in.lowerdirs = lowers;
    in.secrets = options_.secrets;
    in.ssh = options_.ssh;
    in.layers_of = [this](const plan::StageRef& from) { return LowerDirs(SourceState(from)); };
    in.seed_cache = [this, platform](const std::string& id, const std::string& dir) { SeedCacheMount(id, platform, dir); };
    return in;
  }

  // Said once, before the first step runs: a user who finds steps slow learns why. The probe is
  // the runtime's own (runtime/snapshotter.h), so it still runs at most once per process.
  void NoteCopyingSnapshotter(const std::string& scratch) {
    std::call_once(snapshotter_noted_, [&] {
      if (std::string note = rt_.SnapshotterNote(scratch, store_.root()); !note.empty()) progress_.Note(note);
    });
  }

  std::optional<store::Layer> Execute(const plan::Step& step, const StageState& state, int id) {
    std::string scratch = store_.NewScratchDir("step-");
    ScopeExit remove_scratch([&] { RemoveAll(scratch); });
    NoteCopyingSnapshotter(scratch);
    std::string upper = JoinPath(scratch, "upper"), work = JoinPath(scratch, "work");
    MakeDirs(upper);
    MakeDirs(work);
    std::vector<std::string> lowers = LowerDirs(state);
    PreparedMounts mounts;  // held (cache locks) until the layer is committed
    if (auto* run = std::get_if<plan::RunAction>(&step.action)) {
      // A foreign platform's RUN needs a registered emulator; said before the container starts.
      if (std::string problem = runtime::EmulationProblem(state.platform, options_.build_platform); !problem.empty())
        throw StepError(step, problem);
      try {
        mounts = PrepareMounts(run->mounts, MountInputsFor(lowers, scratch, state.platform));
      } catch (const std::exception& e) {
        throw StepError(step, e.what());
      }
      RunStepInput input{&step, lowers, upper, work, epochs_.layer.seconds, id, &mounts, SandboxHostname(),
                         secret_values_, options_.proxy_env};
      try {
        RunStep(input, progress_, rt_);
      } catch (const Error& e) {
        // Not for steps killed because another stage failed or Ctrl-C: only the failure itself.
        if (!options_.on_failed_step || stop_ || rt_.Cancelled()) throw;
        FailedStep failed{KeepFailedStep(step, state, upper, lowers, mounts.stubs), RunStepSpec(input), nullptr};
        // The mounts and the scratch dir (secret files) now live as long as the FailedStep does.
        failed.resources = std::make_shared<FailedStepResources>(scratch, std::move(mounts));
        remove_scratch.Dismiss();
        std::string name = failed.image;
        options_.on_failed_step(std::move(failed));
        throw Error(std::string(e.what()) + "\n  the failed step's filesystem is kept as image " + name +
                    " (cairn run -it " + name + " sh; cairn rmi " + name + " when done)");
      }
    } else if (auto* copy = std::get_if<plan::CopyAction>(&step.action)) {
      ExecuteCopy(step, *copy, {lowers, upper, work}, scratch);
    } else if (auto* mk = std::get_if<plan::MkdirAction>(&step.action)) {
      ExecuteMkdirStep(step, *mk, {lowers, upper, work}, scratch, rt_);
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
    // The upper dir becomes the layer's unpacked tree: a later step mounts it rather than an
    // extraction of the blob just written, and it is not deleted file by file (issue 25).
    snap.adopt = true;
    return store::CommitLayerFromDir(store_, upper, snap);
  }

  // What a failed step's mounts need while a shell may use them: released in this order.
  struct FailedStepResources {
    FailedStepResources(std::string dir, PreparedMounts held) : scratch(std::move(dir)), mounts(std::move(held)) {}
    ~FailedStepResources() {
      mounts = PreparedMounts{};  // cache locks and ssh relays first, then the files under scratch
      try {
        RemoveAll(scratch);
      } catch (const Error&) {  // what is left is swept when a later cairn opens the store (tmp/)
      }
    }
    std::string scratch;
    PreparedMounts mounts;
  };

  // --on-error: the failed RUN's filesystem as it was when the command failed (the stage so far
  // plus what the command wrote), as an image with the step's env, user and workdir, tagged
  // cairn-failed-step:<id> (untagged by whoever asked for it). Returns that name.
  std::string KeepFailedStep(const plan::Step& step, const StageState& state, const std::string& upper,
                             const std::vector<std::string>& lowers, const std::set<std::string>& stubs) {
    store::SnapshotOptions snap;
    snap.source_date_epoch = epochs_.layer.seconds;
    snap.compression = options_.compression;
    snap.overlay_upper = true;
    snap.lowerdirs = lowers;
    for (auto& p : runtime::MountPointStubs()) snap.exclude.insert(p);
    for (auto& p : stubs) snap.exclude.insert(p);
    StageState kept = state;
    AppendHistory(kept, step, store::CommitLayerFromDir(store_, upper, snap), epochs_.image.seconds);
    kept.config["rootfs"] = {{"type", "layers"}, {"diff_ids", kept.diff_ids}};
    imported_.EnsureLocal(kept.layers);
    store::Descriptor manifest = store::WriteImage(store_, kept.config, kept.layers).manifest;
    std::string name = "cairn-failed-step:" + ShortId(manifest.digest);
    store_.SetTag(name, manifest);
    return name;
  }

  // "", "1000", "1000:1000": ids that need no /etc/passwd or /etc/group to resolve.
  static bool IsNumericChown(const std::string& chown) {
    return chown.find_first_not_of("0123456789:") == std::string::npos;
  }

  // COPY/ADD: every input resolved here (downloads, --from's layers), written by copy_step.
  void ExecuteCopy(const plan::Step& step, const plan::CopyAction& copy, const runtime::OverlayDirs& target,
                   const std::string& scratch) {
    CheckUrlSchemes(step, copy);
    std::vector<FetchedUrl> fetched = HasUrlSource(copy) ? downloads_.Take(step, copy) : std::vector<FetchedUrl>{};
    ScopeExit remove_fetched([&] { RemoveFetched(fetched); });
    CopyStepInputs in{target, scratch, options_.context_dir, ignore_ ? &*ignore_ : nullptr, std::nullopt,
                      epochs_.layer.seconds, &git_modes_};
    if (copy.from) in.from_layers = LowerDirs(SourceState(*copy.from));
    ExecuteCopyStep(step, copy, in, fetched, rt_);
  }

  // The platform a stage is built for: its FROM --platform, else the build's target.
  Platform StagePlatform(const plan::Stage& stage) const {
    return stage.platform.empty() ? options_.platform : ParsePlatform(stage.platform);
  }

  // An image by name or digest, for a platform (COPY --from and mounts read the build's target
  // platform's image, as BuildKit does); pulled through options_.pull_image when the store lacks
  // it for that platform.
  store::Image LoadOrPull(const std::string& ref) { return LoadOrPull(ref, options_.platform); }
  store::Image LoadOrPull(const std::string& ref, const Platform& platform) {
    if (NamedContexts::IsDir(ref))
      return store::LoadImage(store_, named_.DirImage(ref, epochs_.layer.seconds, options_.compression));
    std::lock_guard lock(pull_mu_);  // parallel stages may name the same image: pull it once
    bool by_digest = ref.rfind("sha256:", 0) == 0;
    bool local = by_digest ? store_.HasBlob(ref) : store_.ResolveTag(ref).has_value();
    // --pull: once per build and platform, even when the store has it.
    bool refresh = options_.pull && !by_digest && pulled_.insert(ref + " " + ToString(platform)).second;
    if ((refresh || !store::HasImage(store_, ref, platform)) && options_.pull_image) {
      try {
        options_.pull_image(ref, platform);
      } catch (const Error& pull_failed) {
        if (!local || refresh) throw;
        // The store has the image for another platform (an import, say): that is the news.
        try {
          store::LoadImage(store_, ref, platform);
        } catch (const Error& other_platform) {
          throw Error(std::string(other_platform.what()) + " (pulling its " + ToString(platform) +
                      " image failed too: " + pull_failed.what() + ")");
        }
      }
    }
    store::Image image = store::LoadImage(store_, ref, platform);
    materials_.bases.insert({ref, ToString(platform), image.manifest_descriptor.digest});  // under pull_mu_
    return image;
  }

  StageState ImageState(const std::string& ref) {
    store::Image image = LoadOrPull(ref);
    return StageState{image.config, image.layers, image.diff_ids, image.manifest_descriptor.digest, {}, {}};
  }

  // What COPY --from / RUN --mount from= reads: a built stage's result, or an image.
  StageState SourceState(const plan::StageRef& from) {
    if (const int* index = from.stage()) return states_.at(static_cast<size_t>(*index));
    return ImageState(*from.image());
  }

  BuildResult Finish(const StageState& state, const plan::Stage& stage) {
    json config = FinalConfig(state, stage, options_.labels, epochs_.image.seconds);
    if (options_.inline_cache) config[store::kInlineCacheKey] = json::parse(store::CacheConfigBytes(state.records));
    imported_.EnsureLocal(state.layers);  // an image's blobs are all in the store
    store::WrittenImage written =
        store::WriteImage(store_, config, state.layers, {options_.annotations, options_.docker_media_types});
    BuildResult result{written.manifest, written.config.digest, {}, {}, {}};
    result.image_manifest = written.manifest;
    if (!WantsAttestations(options_)) {
      for (auto& tag : options_.tags) store_.SetTag(tag, written.manifest);
      return result;
    }
    std::vector<json> statements;
    if (!options_.provenance.empty())
      statements.push_back(ProvenanceStatement(
          ProvenanceRequestFor(options_, dockerfile_display_, epochs_, secret_values_, written.manifest), Materials()));
    if (options_.sbom)
      statements.push_back(SbomStatement(store_, {written.manifest, state.layers, state.diff_ids}, epochs_.image.seconds));
    result.attestation = WriteAttestationManifest(store_, written.manifest, statements);
    return result;
  }

  // What the build read, with its steps in build order.
  BuildMaterials Materials() {
    BuildMaterials m;
    {
      std::lock_guard lock(pull_mu_);
      m.bases = materials_.bases;
    }
    m.context_files = materials_.context_files;
    m.dockerfile_digest = materials_.dockerfile_digest;
    m.urls = downloads_.Recorded();
    m.steps = PlanSteps(plan_);
    return m;
  }

  store::Store& store_;
  Progress& progress_;
  const BuildOptions options_;
  runtime::Runtime& rt_;
  StepCache cache_;
  NamedContexts named_{store_, options_.named_contexts, options_.fetch_git};
  std::set<std::string> pulled_;  // --pull: the references pulled in this build (under pull_mu_)
  ContextIndex context_index_{store_.root(), options_.context_dir};
  plan::Plan plan_;
  Epochs epochs_;  // set in Run() before any step: the two-epoch rule (builder/epoch.h)
  GitModes git_modes_;  // the context's files as git stores them (builder/git_modes.h); set in Run()
  std::vector<StageState> states_;
  std::optional<frontend::IgnoreMatcher> ignore_;
  std::atomic<int> next_id_{0};  // progress ids: unique across parallel stages
  std::vector<std::string> secret_values_;  // SecretValues(), once the build starts
  std::atomic<bool> stop_{false};  // set when a stage failed: the others start no more steps
  std::mutex context_mu_;
  UrlDownloads downloads_{store_, options_.fetch_url, options_.fetch_git};
  ImportedCaches imported_{store_, cache_, options_.cache_from};
  std::mutex pull_mu_;
  std::once_flag snapshotter_noted_;
  BuildMaterials materials_;  // bases under pull_mu_, context files under materials_mu_
  std::mutex materials_mu_;
  std::string dockerfile_display_;
};

}  // namespace

BuildResult Build(store::Store& store, Progress& progress, const BuildOptions& options, runtime::Runtime& rt) {
  BuildResult r = BuildImageManifest(store, progress, options, rt);
  if (!r.attestation) return r;
  r.manifest = store::WriteIndex(store, {{options.platform, r.image_manifest}, {Platform{"unknown", "unknown", ""}, *r.attestation}});
  for (auto& tag : options.tags) store.SetTag(tag, r.manifest);
  return r;
}

BuildResult BuildImageManifest(store::Store& store, Progress& progress, const BuildOptions& options, runtime::Runtime& rt) {
  BuildOptions opts = options;
  for (;;) {
    BuildRun attempt(store, progress, opts, rt);
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
