// cairn build: docker build's flags, buildx's --metadata-file.
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fs.h"
#include "builder/builder.h"
#include "builder/epoch.h"
#include "cli/verbs.h"

namespace cairn::cli {

namespace {

struct BuildFlags {
  std::vector<std::string> tags, build_args, labels;
  std::string file, iidfile, metadata_file, target, context, network = "default", platform;
  std::string progress = "auto";
  std::optional<std::string> source_date_epoch;
  bool no_cache = false;
};

// "K=V" -> (K, V); a bare "K" takes the value from the environment, as docker does.
std::pair<std::string, std::string> SplitKeyValue(const std::string& kv, const char* flag) {
  auto eq = kv.find('=');
  if (eq == 0 || kv.empty()) throw Error(std::string(flag) + " " + kv + ": want KEY=VALUE");
  if (eq == std::string::npos) {
    const char* v = std::getenv(kv.c_str());
    return {kv, v ? v : ""};
  }
  return {kv.substr(0, eq), kv.substr(eq + 1)};
}

void WriteMetadata(const std::string& path, const builder::BuildResult& r, const std::vector<std::string>& tags) {
  nlohmann::json j = {{"containerimage.digest", r.manifest.digest},
                      {"containerimage.config.digest", r.config_digest},
                      {"containerimage.descriptor", store::ToJson(r.manifest)}};
  if (!tags.empty()) {
    std::string names;
    for (auto& t : tags) names += (names.empty() ? "" : ",") + store::NormalizeName(t);
    j["image.name"] = names;
  }
  WriteFileAtomic(path, j.dump(2) + "\n");
}

void RunBuild(Globals& g, const BuildFlags& f) {
  if (!f.platform.empty() && f.platform != "linux/amd64")
    throw Error("--platform " + f.platform + ": cairn builds for the host platform (linux/amd64) only for now");
  builder::BuildOptions opts;
  opts.context_dir = f.context;
  while (opts.context_dir.size() > 1 && opts.context_dir.back() == '/') opts.context_dir.pop_back();
  opts.dockerfile_path = f.file;
  opts.tags = f.tags;
  for (auto& kv : f.build_args) opts.build_args.insert(SplitKeyValue(kv, "--build-arg"));
  for (auto& kv : f.labels) opts.labels.insert(SplitKeyValue(kv, "--label"));
  opts.target = f.target;
  opts.no_cache = f.no_cache;
  opts.network = f.network;
  auto epoch = builder::ResolveSourceDateEpoch(f.source_date_epoch, std::getenv("SOURCE_DATE_EPOCH"), opts.context_dir);
  opts.source_date_epoch = epoch.seconds;
  // The Dockerfile sees the epoch as the SOURCE_DATE_EPOCH build arg, as with BuildKit.
  opts.build_args.emplace("SOURCE_DATE_EPOCH", std::to_string(epoch.seconds));

  auto progress = builder::MakeProgress(f.progress, stderr);
  progress->Note("source date epoch: " + std::to_string(epoch.seconds) + " (from " + epoch.from + ")");
  builder::BuildResult result = builder::Build(g.Store(), *progress, opts);
  for (auto& t : f.tags) progress->Note("naming to " + store::NormalizeName(t) + " done");
  progress->Note("writing image " + result.config_digest + " done");
  if (!f.iidfile.empty()) WriteFileAtomic(f.iidfile, result.config_digest);
  if (!f.metadata_file.empty()) WriteMetadata(f.metadata_file, result, f.tags);
  std::printf("%s\n", result.config_digest.c_str());
}

}  // namespace

void AddBuild(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<BuildFlags>();
  CLI::App* cmd = app.add_subcommand("build", "build an image from a Dockerfile");
  cmd->add_option("-t,--tag", flags->tags, "name:tag for the image (repeatable)")->allow_extra_args(false);
  cmd->add_option("-f,--file", flags->file, "the Dockerfile (default CONTEXT/Dockerfile)");
  cmd->add_option("--build-arg", flags->build_args, "KEY=VALUE build argument (repeatable)")->allow_extra_args(false);
  cmd->add_option("--label", flags->labels, "KEY=VALUE label on the image (repeatable)")->allow_extra_args(false);
  cmd->add_option("--iidfile", flags->iidfile, "write the image ID (config digest) to this file");
  cmd->add_option("--metadata-file", flags->metadata_file, "write build metadata JSON (containerimage.digest) here");
  cmd->add_option("--target", flags->target, "the stage to build");
  cmd->add_option("--progress", flags->progress, "auto, plain, tty or json");
  cmd->add_option("--network", flags->network, "network for RUN: default (none), none or host");
  cmd->add_option("--platform", flags->platform, "target platform (linux/amd64 only for now)");
  cmd->add_option("--source-date-epoch", flags->source_date_epoch, "the build's timestamp, in seconds since 1970");
  cmd->add_flag("--no-cache", flags->no_cache, "do not use the step cache");
  cmd->add_option("context", flags->context, "the build context directory")->required();
  cmd->callback([&g, flags] { RunBuild(g, *flags); });
}

}  // namespace cairn::cli
