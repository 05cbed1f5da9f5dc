// cairn build: docker build's flags, buildx's --metadata-file.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/csv_fields.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/platform.h"
#include "base/scope_guard.h"
#include "base/transfer.h"
#include "builder/builder.h"
#include "builder/epoch.h"
#include "builder/export_rootfs.h"
#include "builder/multi_platform.h"
#include "cli/build_call.h"
#include "cli/cache_transfer.h"
#include "cli/docker_load.h"
#include "cli/git_clone.h"
#include "cli/git_ssh_agent.h"
#include "cli/http_download.h"
#include "cli/proxy_env.h"
#include "cli/security_opt.h"
#include "cli/stdin_inputs.h"
#include "cli/transfer_meter.h"
#include "cli/verbs.h"
#include "builder/run_image.h"
#include "runtime/cancel.h"
#include "runtime/resource_limits.h"
#include "store/gc.h"
#include "store/image.h"
#include "store/archive.h"
#include "store/registry/credentials.h"
#include "store/registry/registry.h"

namespace cairn::cli {

namespace {

struct BuildFlags {
  std::vector<std::string> tags, build_args, labels;
  std::vector<std::string> secrets;  // --secret id=X,src=FILE | id=X,env=VAR
  std::vector<std::string> ssh;      // --ssh default | ID | ID=SOCKET
  std::string file, iidfile, metadata_file, target, context, network = "default", platform;
  std::string progress = "auto";
  bool quiet = false;        // -q: --progress quiet
  std::string call = "build";  // --call: build | check | outline | targets (cli/build_call.h)
  bool check = false;        // --check: --call check
  std::string on_error;      // --on-error: "" | keep | shell
  std::string compression = "gzip";
  std::optional<std::string> source_date_epoch;
  bool no_cache = false;
  bool pull = false;  // --pull: re-resolve every base image at its registry
  std::vector<std::string> no_cache_filter;  // stage names (repeatable, comma lists as docker)
  bool push = false;  // --push: every -t name after the build
  bool load = false;  // --load: into the local docker daemon (cli/docker_load.h)
  int jobs = 0;       // --jobs: stages built at once; 0 = number of cores
  std::vector<std::string> security_opts;  // --security-opt no-new-privileges (every RUN)
  std::vector<std::string> outputs;  // --output type=registry | type=oci,dest=F | type=docker,dest=F
  std::vector<std::string> cache_to, cache_from;  // see cli/cache_transfer.h
  std::vector<std::string> allow;  // --allow network.host (buildx's entitlements)
  std::vector<std::string> add_hosts, ulimits;  // --add-host HOST:IP, --ulimit NAME=S[:H]
  std::string shm_size;                          // --shm-size 64m
  std::vector<std::string> build_contexts;  // --build-context NAME=VALUE (builder/named_contexts.h)
  std::vector<std::string> annotations;     // --annotation [manifest:]KEY=VALUE
  std::vector<std::string> attest;          // --attest type=provenance[,mode=min|max] | type=sbom
  std::string provenance, sbom;             // --provenance=true|false|mode=max, --sbom=true|false
};

// --attest, --provenance and --sbom as buildx reads them, into opts.provenance ("", "min",
// "max") and opts.sbom. Every key is honoured or refused.
void ParseAttestations(const BuildFlags& f, builder::BuildOptions& opts) {
  auto provenance_value = [](const std::string& v, const std::string& where) -> std::string {
    if (v == "true" || v == "1" || v == "mode=min" || v == "min") return "min";
    if (v == "mode=max" || v == "max") return "max";
    if (v == "false" || v == "0") return "";
    throw Error(where + ": want true, false, mode=min or mode=max");
  };
  for (auto& text : f.attest) {
    std::string where = "--attest " + text;
    std::map<std::string, std::string> kv = KeyValueFields(text, "--attest");
    bool disabled = kv.count("disabled") && kv["disabled"] == "true";
    if (kv.count("disabled") && kv["disabled"] != "true" && kv["disabled"] != "false")
      throw Error(where + ": disabled=" + kv["disabled"] + ": want true or false");
    std::string type = kv["type"];
    for (auto& [k, v] : kv)
      if (k != "type" && k != "disabled" && !(type == "provenance" && k == "mode"))
        throw Error(where + ": unknown key \"" + k + "\" (cairn reads type, disabled" +
                    (type == "provenance" ? ", mode" : "") + ")");
    if (type == "provenance") {
      std::string mode = kv.count("mode") ? kv["mode"] : "min";
      if (mode != "min" && mode != "max") throw Error(where + ": mode=" + mode + ": want min or max");
      opts.provenance = disabled ? "" : mode;
    } else if (type == "sbom") {
      opts.sbom = !disabled;
    } else {
      throw Error(where + ": unknown type \"" + type + "\" (use type=provenance or type=sbom)");
    }
  }
  if (!f.provenance.empty()) opts.provenance = provenance_value(f.provenance, "--provenance " + f.provenance);
  if (!f.sbom.empty()) {
    if (f.sbom != "true" && f.sbom != "false") throw Error("--sbom " + f.sbom + ": want true or false");
    opts.sbom = f.sbom == "true";
  }
}

// One manifest annotation, from --annotation or an -o annotation key. Rule: cairn writes one
// manifest and no image index for a single platform (without --attest), so index (and
// descriptor) annotations would be dropped: refused, naming the place; two values for one key
// are refused too.
void AddAnnotation(std::map<std::string, std::string>& to, const std::string& key, const std::string& value,
                   const std::string& where) {
  if (key.empty()) throw Error(where + ": want KEY=VALUE");
  auto [it, added] = to.emplace(key, value);
  if (!added && it->second != value)
    throw Error(where + ": annotation " + key + " is already given as \"" + it->second + "\"");
}

// --annotation as buildx: "KEY=V" and "manifest:KEY=V" annotate the manifest.
// --annotation [TYPE[,TYPE]:]KEY=VALUE, as buildx: TYPE is manifest (the default), index or
// manifest-descriptor (the index and its descriptors, for a multi-platform build).
void ParseAnnotationFlag(const std::string& text, builder::BuildOptions& opts) {
  std::string where = "--annotation " + text;
  auto eq = text.find('=');
  if (eq == std::string::npos) throw Error(where + ": want [manifest|index|manifest-descriptor:]KEY=VALUE");
  std::string key = text.substr(0, eq);
  std::string types = "manifest";
  auto colon = key.find(':');
  if (colon != std::string::npos) {
    types = key.substr(0, colon);
    key = key.substr(colon + 1);
  }
  for (size_t at = 0; at <= types.size();) {
    size_t comma = std::min(types.find(',', at), types.size());
    std::string type = types.substr(at, comma - at);
    at = comma + 1;
    if (type.find('[') != std::string::npos)
      throw Error(where + ": platform qualifiers ([os/arch]) are not supported; an annotation applies to every platform");
    if (type == "manifest") AddAnnotation(opts.annotations, key, text.substr(eq + 1), where);
    else if (type == "index") AddAnnotation(opts.index_annotations, key, text.substr(eq + 1), where);
    else if (type == "manifest-descriptor") AddAnnotation(opts.descriptor_annotations, key, text.substr(eq + 1), where);
    else throw Error(where + ": unknown annotation type \"" + type + "\" (use manifest, index or manifest-descriptor)");
  }
}

// --cache-to values, checked before the build starts. Rule: cached layers are the image's own
// bytes, never recompressed (another compression would be another layer, another image), so a
// compression= option must agree with --compression.
// type=inline (or buildx's --build-arg BUILDKIT_INLINE_CACHE=1, true as Go's ParseBool reads
// it) is no export after the build: the builder writes the records into the image config.
std::vector<CacheSpec> CacheExports(const BuildFlags& f, builder::BuildOptions& opts, size_t platforms) {
  std::vector<CacheSpec> specs;
  auto inline_arg = opts.build_args.find("BUILDKIT_INLINE_CACHE");
  if (inline_arg != opts.build_args.end())
    for (const char* yes : {"1", "t", "T", "true", "TRUE", "True"})
      if (inline_arg->second == yes) opts.inline_cache = true;
  for (auto& text : f.cache_to) {
    CacheSpec spec = ParseCacheSpec(text, /*exporting=*/true);
    if (spec.type == "inline") {
      opts.inline_cache = true;
      continue;
    }
    if (spec.compression && *spec.compression != opts.compression.codec)
      throw Error("--cache-to " + text + ": the layers are " + store::ToString(opts.compression) +
                  "; pass the same compression with --compression so the cached layers are the image's own");
    opts.fetch_cached_layers = opts.fetch_cached_layers || spec.max;
    specs.push_back(spec);
  }
  if (opts.inline_cache && platforms > 1)
    throw Error("--cache-to type=inline with --platform " + f.platform +
                ": an inline cache is read from one image's config, and --cache-from reads one platform's image; "
                "use --cache-to type=registry,ref=R for several platforms");
  return specs;
}

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

struct OutputSpec {
  std::string type;  // registry | image | oci | docker | local | tar
  std::string dest;  // oci, docker, tar: the archive file ("-" = stdout for tar); local: the directory
  bool push = false; // registry, or image with push=true
  bool load = false; // docker without dest: into the docker daemon, as --load
  bool push_by_digest = false;  // image,push-by-digest=true: no tag in the registry (buildx)
  bool layout_dir = false;  // oci,tar=false: dest is an OCI layout directory, not an archive
};

// An -o key of an image output that is not its own (annotations, compression options): true when
// taken, false when unknown; throws Error for one cairn refuses, saying why.
bool OutputImageKey(const std::string& o, const std::string& k, const std::string& v, builder::BuildOptions& opts,
                    std::set<std::string>& media_types) {
  std::string where = "--output " + o;
  std::pair<const char*, std::map<std::string, std::string>*> kinds[] = {
      {"annotation.", &opts.annotations},
      {"annotation-manifest.", &opts.annotations},
      {"annotation-index.", &opts.index_annotations},
      {"annotation-manifest-descriptor.", &opts.descriptor_annotations}};
  for (auto [prefix, to] : kinds) {
    if (k.rfind(prefix, 0) != 0) continue;
    if (k.find('[') != std::string::npos)
      throw Error(where + ": " + k + ": platform qualifiers ([os/arch]) are not supported; an annotation applies to every platform");
    AddAnnotation(*to, k.substr(std::string(prefix).size()), v, where);
    return true;
  }
  if (k == "compression-level") {
    // The level the layers are written at: 0 is the codec's default (gzip 1, zstd 3), -1 gzip's 0.
    int level = opts.compression.level == 0 ? (opts.compression.codec == store::Compression::Codec::kZstd ? 3 : 1)
                                            : std::max(opts.compression.level, 0);
    if (v.empty() || v.size() > 2 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) != level)
      throw Error(where + ": the layers are " + store::ToString(opts.compression) +
                  "; pass the level with --compression CODEC,level=N (layers are never recompressed)");
    return true;
  }
  if (k == "force-compression") {
    if (v == "false") return true;
    throw Error(where + ": force-compression=" + v + ": cairn never recompresses a layer (a base image's layers keep "
                "their bytes); build with --compression to choose the new layers' codec");
  }
  if (k == "oci-mediatypes") {
    if (v != "true" && v != "false") throw Error(where + ": oci-mediatypes=" + v + ": want true or false");
    if (v == "false" && opts.compression.codec != store::Compression::Codec::kGzip)
      throw Error(where + ": docker's media types have gzip layers only, and the layers are " +
                  store::ToString(opts.compression) + "; build with --compression gzip or keep OCI media types");
    media_types.insert(v);
    if (media_types.size() > 1)  // one image, one manifest: it cannot be both
      throw Error(where + ": another --output says oci-mediatypes=" + (v == "true" ? "false" : "true") +
                  "; the image has one manifest, so give every output the same value");
    opts.docker_media_types = v == "false";
    return true;
  }
  return false;
}

// --output values, checked before the build starts: every key is honoured or refused, never
// ignored. compression= must agree with --compression (the pushed or saved layers are the
// image's own bytes, never recompressed).
std::vector<OutputSpec> ParseOutputs(const BuildFlags& f, builder::BuildOptions& opts) {
  std::vector<OutputSpec> specs;
  std::set<std::string> media_types;  // oci-mediatypes= values given
  for (auto& o : f.outputs) {
    std::map<std::string, std::string> kv = KeyValueFields(o, "--output");
    OutputSpec spec;
    spec.type = kv.count("type") ? kv["type"] : "";
    std::set<std::string> known;
    if (spec.type == "registry" || spec.type == "image") {
      known = {"type", "push", "push-by-digest", "compression"};
      spec.push = spec.type == "registry" || kv["push"] == "true";
      spec.push_by_digest = kv["push-by-digest"] == "true";
      if (spec.push_by_digest && !spec.push) throw Error("--output " + o + ": push-by-digest=true needs push=true");
    } else if (spec.type == "docker" && !kv.count("dest")) {
      known = {"type", "compression"};  // as buildx: no dest loads into the docker daemon (--load)
      spec.load = true;
      if (f.tags.empty()) throw Error("--output " + o + ": name the image with -t so docker can name it");
    } else if (spec.type == "oci" || spec.type == "docker") {
      known = {"type", "dest", "compression"};
      if (spec.type == "oci") known.insert("tar");
      if (kv.count("tar") && kv["tar"] != "true" && kv["tar"] != "false")
        throw Error("--output " + o + ": tar=" + kv["tar"] + ": want true or false");
      spec.layout_dir = kv.count("tar") && kv["tar"] == "false";
      if (!kv.count("dest") || kv["dest"].empty()) throw Error("--output " + o + ": needs dest=FILE");
      if (f.tags.empty()) throw Error("--output " + o + ": name the image with -t so the archive can name it");
      spec.dest = kv["dest"];
      if (spec.layout_dir && spec.dest == "-")
        throw Error("--output " + o + ": tar=false writes a directory; for a stream on stdout drop tar=false");
    } else if (spec.type == "local" || spec.type == "tar") {
      known = {"type", "dest"};
      if (!kv.count("dest") || kv["dest"].empty())
        throw Error("--output " + o + ": needs dest=" + (spec.type == "local" ? "DIR" : "FILE (- for stdout)"));
      spec.dest = kv["dest"];
      if (spec.type == "local" && spec.dest == "-")
        throw Error("--output " + o + ": type=local writes a directory; for a stream on stdout use type=tar,dest=-");
    } else {
      throw Error("--output " + o + ": unknown type \"" + spec.type + "\" (use registry, image, oci, docker, local or tar)");
    }
    bool image_output = spec.type != "local" && spec.type != "tar";
    for (auto& [k, v] : kv) {
      if (known.count(k)) continue;
      if (image_output && OutputImageKey(o, k, v, opts, media_types)) continue;
      std::string keys;
      for (auto& name : known) keys += (keys.empty() ? "" : ", ") + name;
      throw Error("--output " + o + ": unknown key \"" + k + "\" for type=" + spec.type + " (cairn reads " + keys +
                  (k == "name" ? "; name the image with -t" : "") + ")");
    }
    if (kv.count("compression") && store::ParseCompression(kv["compression"]).codec != opts.compression.codec)
      throw Error("--output " + o + ": the layers are " + store::ToString(opts.compression) +
                  "; pass the same compression with --compression (layers are never recompressed)");
    specs.push_back(spec);
  }
  // tar, oci and docker stream to stdout with dest=- (`-o type=docker,dest=- | docker load`).
  const OutputSpec* to_stdout = nullptr;
  for (auto& spec : specs) {
    if (spec.dest != "-") continue;
    if (to_stdout) throw Error("--output: only one output can go to stdout (dest=-)");
    to_stdout = &spec;
  }
  if (to_stdout && ::isatty(STDOUT_FILENO))
    throw Error("--output type=" + to_stdout->type + ",dest=-: stdout is a terminal; redirect it (> " +
                (to_stdout->type == "tar" ? "rootfs.tar" : "image.tar") + ", or | docker load) or give dest=FILE");
  return specs;
}

// True when an output streams to stdout: then stdout carries nothing else (no image ID).
bool OutputsToStdout(const std::vector<OutputSpec>& outputs) {
  return std::any_of(outputs.begin(), outputs.end(), [](const OutputSpec& o) { return o.dest == "-"; });
}

// Bytes to a file descriptor, for -o type=tar.
class FdSink : public store::ByteSink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void Write(const void* data, size_t size) override { WriteAll(fd_, data, size, name_); }

 private:
  int fd_;
  std::string name_;
};

// -o type=tar: the image's filesystem as a tar on stdout, or in FILE (written beside it and
// renamed into place, so a failed export leaves no partial FILE).
void ExportTar(store::Store& store, const std::string& image, const std::string& dest) {
  if (dest == "-") {
    FdSink out(STDOUT_FILENO, "stdout");
    builder::ExportRootfsTar(store, image, out);
    return;
  }
  std::string tmp = dest + ".cairn-" + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw SysError("open", tmp);
  ScopeFail unlink_tmp([&] { ::unlink(tmp.c_str()); });
  FdSink out(fd.get(), tmp);
  builder::ExportRootfsTar(store, image, out);
  if (::fsync(fd.get()) != 0) throw SysError("fsync", tmp);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) throw SysError("rename", tmp + " to " + dest);
}

std::map<std::string, std::string> BuildArgs(const BuildFlags& f) {
  std::map<std::string, std::string> args;
  for (auto& kv : f.build_args) args.insert(SplitKeyValue(kv, "--build-arg"));
  return args;
}

void WriteMetadata(const std::string& path, const builder::BuildResult& r, const std::vector<std::string>& tags) {
  nlohmann::json j = {{"containerimage.digest", r.manifest.digest},
                      {"containerimage.config.digest", r.config_digest},
                      {"containerimage.descriptor", store::ToJson(r.manifest)}};
  if (!tags.empty()) {
    std::string names;
    // As buildx writes it: each name in full ("docker.io/library/hello:a").
    for (auto& t : tags) names += (names.empty() ? "" : ",") + store::registry::ParseReference(t).String();
    j["image.name"] = names;
  }
  WriteFileAtomic(path, j.dump(2) + "\n");
}

// --on-error=shell: an interactive shell in the failed step's container (its mounts, env, user,
// workdir) over its filesystem kept as an image, which is removed when the shell exits.
void OpenShellIn(Globals& g, const builder::FailedStep& failed, runtime::Runtime& rt, const std::string& error) {
  std::fprintf(stderr, "%s\n\ncairn: a shell in the failed step's filesystem (exit to end the build):\n", error.c_str());
  runtime::HandleSignals(runtime::SignalPolicy::kForward);  // ^C belongs to the shell now
  builder::OpenFailedStepShell(g.Store(), failed, rt);
  store::RemoveImages(g.Store(), {failed.image}, /*force=*/true);
  std::fprintf(stderr, "cairn: the shell ended; %s is removed\n", failed.image.c_str());
}

// `build -` and `-f -` (cli/stdin_inputs.h): what stdin gave becomes files in the store's
// scratch, and the flags name them. Returns the inputs, which must outlive the build.
std::optional<StdinInputs> ReadStdinInputs(Globals& g, BuildFlags& f, std::string& dockerfile_name) {
  if (f.context == "-" && f.file == "-")
    throw Error("build - -f -: standard input cannot be both the context and the Dockerfile");
  if (f.context != "-" && f.file != "-") return std::nullopt;
  std::optional<StdinInputs> in;
  if (f.file == "-") {
    in.emplace(StdinInputs::Dockerfile(g.Store(), STDIN_FILENO));
    f.file = in->dockerfile_path();
    dockerfile_name = "Dockerfile";
    return in;
  }
  in.emplace(StdinInputs::Context(g.Store(), STDIN_FILENO));
  if (!in->dockerfile_path().empty()) {
    if (!f.file.empty())
      throw Error("build -: standard input is a Dockerfile, not a context tar, so -f " + f.file + " names nothing in it");
    f.file = in->dockerfile_path();
    dockerfile_name = "Dockerfile";
  } else if (!f.file.empty()) {
    // As docker: -f names a file inside the context tar.
    std::string inside = f.file;
    while (!inside.empty() && inside.front() == '/') inside.erase(0, 1);
    f.file = JoinPath(in->context_dir(), inside);
    if (!PathExists(f.file)) throw Error("build -: -f " + inside + ": no such file in the context tar on stdin");
  } else if (!PathExists(JoinPath(in->context_dir(), "Dockerfile")) && !PathExists(JoinPath(in->context_dir(), "dockerfile"))) {
    throw Error("build -: the context tar on stdin holds no Dockerfile; name one in it with -f PATH");
  }
  f.context = in->context_dir();
  return in;
}

// docker build also takes a tarball URL as the context; cairn does not download one. Said at
// once, instead of "not a directory" for a path no one meant. (A git URL is cloned: GitContext.)
void RefuseRemoteContext(const std::string& context) {
  if (context.find("://") == std::string::npos || builder::IsGitUrl(context)) return;
  throw Error("build context " + builder::RedactUrl(context) + ": a remote context, which cairn does not download; "
              "download it and pass it on stdin (cairn build - < context.tar)");
}

// `cairn build URL.git#ref:subdir`: the checkout (in the store's scratch, removed by the
// caller) becomes the context; -f then names a file in it, as docker reads it.
std::optional<builder::GitCheckout> GitContext(Globals& g, BuildFlags& f, std::string& scratch) {
  if (!builder::IsGitUrl(f.context)) return std::nullopt;
  builder::GitUrl url = builder::ParseGitUrl(f.context);
  scratch = g.Store().NewScratchDir("context-git-");
  builder::GitCheckout checkout;
  try {
    checkout = CloneGit(url, scratch);
  } catch (const Error& e) {
    throw Error(std::string("build context: ") + e.what());  // e names the URL
  }
  if (!f.file.empty() && f.file != "-") {
    std::string inside = f.file;
    while (!inside.empty() && inside.front() == '/') inside.erase(0, 1);
    f.file = JoinPath(checkout.dir, inside);
    if (inside.find("..") != std::string::npos || !PathExists(f.file))
      throw Error("build context " + url.display + ": -f " + inside + ": no such file in the checkout");
  }
  f.context = checkout.dir;
  return checkout;
}

// --load: the tagged image, as the archive cairn save writes (in the store's scratch), into the
// docker daemon at socket.
void LoadResult(Globals& g, const std::vector<std::string>& tags, const std::string& socket, builder::Progress& progress) {
  std::string scratch = g.Store().NewScratchDir("load-");
  ScopeExit remove_scratch([&] { RemoveAll(scratch); });
  std::string archive = JoinPath(scratch, "image.tar");
  store::SaveArchive(g.Store(), tags, archive);
  std::string loaded = LoadIntoDocker(socket, archive);
  progress.Note("loaded into docker (" + socket + "): " + (loaded.empty() ? std::string("done") : loaded));
}

void RunBuild(Globals& g, BuildFlags f) {
  RefuseRemoteContext(f.context);
  std::map<std::string, builder::SshAgentSource> ssh;
  for (auto& spec : f.ssh)
    if (!ssh.insert(builder::ParseSshFlag(spec, std::getenv("SSH_AUTH_SOCK"))).second)
      throw Error("--ssh " + spec + ": this id is already given");
  std::string git_scratch, agent_scratch;
  ScopeExit remove_checkout([&] {
    if (!git_scratch.empty()) RemoveAll(git_scratch);
    if (!agent_scratch.empty()) RemoveAll(agent_scratch);
  });
  std::optional<GitSshAgent> git_agent;  // before the git context is cloned, and before any thread
  if (ssh.count("default")) git_agent.emplace(ssh, agent_scratch = g.Store().NewScratchDir("ssh-"));
  std::optional<builder::GitCheckout> git_context = GitContext(g, f, git_scratch);
  std::string dockerfile_name;
  if (git_context && f.file.empty()) dockerfile_name = "Dockerfile";
  std::optional<StdinInputs> stdin_inputs = ReadStdinInputs(g, f, dockerfile_name);
  if (f.on_error != "" && f.on_error != "keep" && f.on_error != "shell")
    throw Error("--on-error " + f.on_error + ": use shell (a shell in the failed step) or keep (keep it as an image)");
  if (f.on_error == "shell" && !(::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO)))
    throw Error("--on-error shell needs a terminal on stdin and stdout; use --on-error keep and `cairn run -it IMAGE sh` later");
  std::string call = f.check ? "check" : f.call;
  if (call != "build") {
    std::string context = f.context;
    while (context.size() > 1 && context.back() == '/') context.pop_back();
    g.exit_code = RunBuildCall(call, {context, f.file, f.target, BuildArgs(f), dockerfile_name}, g.Store());
    return;
  }
  std::vector<Platform> platforms = f.platform.empty() ? std::vector<Platform>{HostPlatform()} : ParsePlatformList(f.platform);
  builder::BuildOptions opts;
  opts.context_dir = f.context;
  while (opts.context_dir.size() > 1 && opts.context_dir.back() == '/') opts.context_dir.pop_back();
  opts.dockerfile_path = f.file;
  opts.dockerfile_name = dockerfile_name;
  opts.tags = f.tags;
  opts.build_args = BuildArgs(f);
  opts.proxy_env = ProxyEnv(opts.build_args, store::registry::DefaultDockerConfigPath());
  for (auto& kv : f.labels) opts.labels.insert(SplitKeyValue(kv, "--label"));
  opts.target = f.target;
  opts.no_cache = f.no_cache;
  for (auto& stage : f.no_cache_filter) {
    std::string name = stage;  // stage names are case-insensitive, as FROM ... AS writes them
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!name.empty()) opts.no_cache_filter.insert(name);
  }
  opts.network = f.network;
  if (f.jobs < 0) throw Error("--jobs " + std::to_string(f.jobs) + ": want a count of at least 1 (0 = number of cores)");
  opts.jobs = f.jobs;
  for (auto& spec : f.secrets) opts.secrets.insert(builder::ParseSecretFlag(spec));
  opts.ssh = ssh;
  for (auto& a : f.allow) {
    if (a == "security.insecure")
      throw Error("--allow security.insecure: cairn runs every step sandboxed and has no insecure mode; remove the flag");
    if (a != "network.host")
      throw Error("--allow " + a + ": unknown entitlement (cairn grants network.host, for RUN --network=host)");
    opts.allow.insert(a);
  }
  // Checked now, so a bad value fails before any step runs (each RUN parses them again).
  for (auto& h : f.add_hosts) runtime::ParseAddHost(h);
  for (auto& u : f.ulimits) runtime::ParseUlimit(u);
  if (!f.shm_size.empty()) runtime::ParseShmSize(f.shm_size);
  opts.add_hosts = f.add_hosts;
  opts.ulimits = f.ulimits;
  opts.shm_size = f.shm_size;
  for (auto& a : f.annotations) ParseAnnotationFlag(a, opts);
  for (auto& spec : f.build_contexts) {
    auto [name, context] = builder::ParseBuildContextFlag(spec);
    if (!opts.named_contexts.emplace(name, context).second)
      throw Error("--build-context " + spec + ": a context named " + name + " is already given");
  }
  opts.pull_image = [&g](const std::string& ref, const Platform& platform) { PullImage(g.Store(), ref, platform); };
  opts.platform = platforms.front();
  opts.pull = f.pull;
  opts.fetch_url = DownloadUrl;
  opts.fetch_git = CloneGit;
  opts.git_context = git_context;
  opts.compression = store::ParseCompression(f.compression);
  // The builder applies the two-epoch rule (builder/epoch.h) and passes the epoch to the
  // Dockerfile as the SOURCE_DATE_EPOCH build arg, as BuildKit does.
  opts.source_date_epoch = builder::ExplicitSourceDateEpoch(f.source_date_epoch, std::getenv("SOURCE_DATE_EPOCH"));

  ParseAttestations(f, opts);
  bool attested = !opts.provenance.empty() || opts.sbom;
  std::vector<CacheSpec> cache_exports = CacheExports(f, opts, platforms.size());
  std::vector<OutputSpec> outputs = ParseOutputs(f, opts);
  // As BuildKit ("index annotations not supported for single platform export"): one platform
  // gives one manifest and no index, so there is no index or descriptor to annotate.
  if (platforms.size() == 1 && (!opts.index_annotations.empty() || !opts.descriptor_annotations.empty()))
    throw Error(std::string(opts.index_annotations.empty() ? "manifest-descriptor" : "index") +
                " annotation " + (opts.index_annotations.empty() ? opts.descriptor_annotations : opts.index_annotations).begin()->first +
                ": a single-platform build writes one manifest and no image index, so there is no index or descriptor to "
                "annotate (as buildx); build several platforms (--platform P1,P2) or annotate the manifest (annotation.KEY=VALUE)");
  bool load = f.load || std::any_of(outputs.begin(), outputs.end(), [](const OutputSpec& o) { return o.load; });
  if (f.load && f.tags.empty()) throw Error("--load: name the image with -t so docker can name it");
  if (load && attested)
    throw Error("--load with --attest: docker's image store keeps no attestations; push them (--push) or save them "
                "(-o type=oci,dest=FILE), or build without --attest to load");
  std::optional<std::string> docker_socket;  // checked now, so a bad DOCKER_HOST fails before any step
  if (load) docker_socket = DockerSocket(std::getenv("DOCKER_HOST"));
  if (load && platforms.size() > 1)
    throw Error("--load with --platform " + f.platform +
                ": docker's image store takes one platform's image; load each platform on its own (--platform P "
                "--load), or push the index (--push)");
  if (platforms.size() > 1)
    for (auto& o : outputs)
      if (o.type == "tar")
        throw Error("--output type=tar with --platform " + f.platform +
                    ": a tar holds one platform's filesystem; use type=local (a directory per platform) or build each "
                    "platform on its own (--platform P)");
  std::vector<CacheSpec> cache_imports;
  for (auto& text : f.cache_from) cache_imports.push_back(ParseCacheSpec(text, /*exporting=*/false));

  if (f.quiet && f.progress != "auto" && f.progress != "quiet")
    throw Error("--quiet and --progress " + f.progress + " disagree: pass one of them");
  auto progress = builder::MakeProgress(f.quiet ? "quiet" : f.progress, stderr);
  // Pulls, pushes, cache import/export and ADD <url> report their bytes to the build's view:
  // each transfer as it goes (rawjson's statuses), or the meter's summary line.
  std::unique_ptr<TransferMeter> meter;
  ScopeExit no_observer([] { SetTransferObserver(nullptr); });
  if (progress->WantsTransferStatuses()) {
    SetTransferObserver([&progress](const TransferUpdate& u) { progress->TransferStatus(u.key, u.done, u.total, u.finished); });
  } else {
    meter = std::make_unique<TransferMeter>(progress->Live(), [&progress](const std::string& line, bool final) {
      progress->Transfer(line, final);
    });
  }
  for (auto& spec : cache_imports) {
    auto imported = ImportCache(g.Store(), spec, [&](const std::string& warning) { progress->Note(warning); });
    if (!imported) continue;
    progress->Note("importing cache " + spec.text + ": " + std::to_string(imported->records.size()) + " records" +
                   (imported->mounts.empty() ? "" : ", " + std::to_string(imported->mounts.size()) + " cache mounts"));
    opts.cache_from.push_back(std::move(*imported));
  }
  SecurityOpts security = ParseSecurityOpts(f.security_opts);
  // Ctrl-C / SIGTERM: the running step's container is killed, the build unwinds ("cancelled").
  runtime::HandleSignals(runtime::SignalPolicy::kCancel);
  std::optional<builder::FailedStep> failed;  // --on-error: the failed step, kept as an image
  std::mutex failed_mutex;                     // parallel stages may fail at once: the first is kept
  if (!f.on_error.empty())
    opts.on_failed_step = [&](builder::FailedStep step) {
      std::lock_guard lock(failed_mutex);
      if (!failed) failed = std::move(step);
    };
  runtime::HostRuntime host([&](runtime::ContainerSpec& s) { s.no_new_privileges = security.no_new_privileges; });
  builder::BuildResult result;
  try {
    result = platforms.size() == 1 ? builder::Build(g.Store(), *progress, opts, host)
                                   : builder::BuildPlatforms(g.Store(), *progress, opts, host, platforms);
  } catch (const Error& e) {
    if (f.on_error != "shell" || !failed) throw;
    meter.reset();
    progress.reset();  // the final frame of the view stays above the shell
    OpenShellIn(g, *failed, host, e.what());
    throw;
  }
  // The one image's manifest (with attestations, result.manifest is the index holding it).
  std::string image_manifest = result.attestation ? result.image_manifest.digest : result.manifest.digest;
  if (result.attestation) progress->Note("attestations: " + result.attestation->digest + " in index " + result.manifest.digest);
  for (auto& t : f.tags) progress->Note("naming to " + store::NormalizeName(t) + " done");
  progress->Note("writing image " + result.config_digest + " done");
  if (opts.inline_cache)
    progress->Note("inline cache: " + std::to_string(result.image_cache.size()) + " records in the image config");
  std::optional<std::vector<store::CacheEntry>> mount_snapshots;  // made once, for every export that asks
  for (auto& spec : cache_exports) {
    std::vector<store::CacheEntry> entries = spec.max ? result.all_cache : result.image_cache;
    auto note = [&](const std::string& warning) { progress->Note(warning); };
    if (spec.cache_mounts) {
      try {
        if (!mount_snapshots)
          mount_snapshots = SnapshotCacheMounts(g.Store(), result.cache_mounts, opts.compression, note);
      } catch (const Error& e) {
        if (!spec.ignore_error) throw Error("--cache-to " + spec.text + ": " + e.what());
        progress->Note(std::string("warning: --cache-to ") + spec.text + ": " + e.what() +
                       " (ignore-error=true: the build goes on)");
        continue;
      }
      entries.insert(entries.end(), mount_snapshots->begin(), mount_snapshots->end());
    }
    CacheExport done;
    try {
      done = ExportCache(g.Store(), spec, entries, note);
    } catch (const Error& e) {
      if (!spec.ignore_error) throw;
      progress->Note(std::string("warning: ") + e.what() + " (ignore-error=true: the build goes on)");
      continue;
    }
    size_t snapshots = spec.cache_mounts ? mount_snapshots->size() : 0;
    progress->Note("exported cache " + spec.text + ": " + std::to_string(entries.size() - snapshots) + " records, " +
                   (snapshots ? std::to_string(snapshots) + " cache mounts, " : std::string()) +
                   done.manifest.digest + " (blobs: " + std::to_string(done.uploaded) + " uploaded, " +
                   std::to_string(done.mounted) + " mounted, " + std::to_string(done.present) + " already there)" +
                   "; the cache holds " + std::to_string(done.records) + " records" +
                   (done.dropped ? " (" + std::to_string(done.dropped) + " least recently used dropped)" : ""));
  }
  bool push = f.push, by_digest = false;
  for (auto& o : outputs) {
    if (o.load) {
      continue;  // with --load, below
    } else if (o.type == "registry" || o.type == "image") {
      push = push || o.push;
      by_digest = by_digest || o.push_by_digest;
    } else if (o.type == "local" && platforms.size() > 1) {
      // As buildx: one directory per platform, DEST/linux_arm64, DEST/linux_arm_v7.
      MakeDirs(o.dest);
      for (const Platform& p : platforms) {
        std::string dir = ToString(p);
        std::replace(dir.begin(), dir.end(), '/', '_');
        builder::ExportRootfsToDir(g.Store(), store::LoadImage(g.Store(), result.manifest.digest, p).manifest_descriptor.digest,
                                   JoinPath(o.dest, dir));
      }
      progress->Note("exported each platform's filesystem under " + o.dest);
    } else if (o.type == "local") {
      builder::ExportRootfsToDir(g.Store(), image_manifest, o.dest);
      progress->Note("exported the filesystem to " + o.dest);
    } else if (o.type == "tar") {
      ExportTar(g.Store(), image_manifest, o.dest);
      progress->Note("exported the filesystem as a tar to " + (o.dest == "-" ? std::string("stdout") : o.dest));
    } else {
      // One archive holds both layouts (see store::SaveArchive): oci and docker write the same file.
      if (o.layout_dir) store::SaveLayoutDir(g.Store(), f.tags, o.dest);
      else store::SaveArchive(g.Store(), f.tags, o.dest);
      progress->Note("exported to " + o.dest);
    }
  }
  if (push) {
    if (f.tags.empty()) throw Error("build --push: nothing to push; name the image with -t REGISTRY/REPO:TAG");
    for (auto& t : f.tags) {
      if (by_digest) {  // the repository gets the image under its digest only, for `cairn manifest create`
        store::registry::Reference ref = store::registry::ParseReference(t);
        ref.tag.clear();
        ref.digest = PushImageByDigest(g.Store(), t, result.manifest.digest).digest;
        progress->Note("pushed " + ref.String());
      } else {
        progress->Note("pushed " + t + " " + PushImage(g.Store(), t).digest);
      }
    }
  }
  if (load) LoadResult(g, f.tags, *docker_socket, *progress);
  if (!f.iidfile.empty()) WriteFileAtomic(f.iidfile, result.config_digest);
  if (!f.metadata_file.empty()) WriteMetadata(f.metadata_file, result, f.tags);
  if (meter) progress->BytesPushed(meter->Bytes("push"));
  meter.reset();  // its closing total comes before the summary
  progress->Finish();  // the live view's summary, before the ID on stdout (often the same terminal)
  if (!OutputsToStdout(outputs)) std::printf("%s\n", result.config_digest.c_str());
}

}  // namespace

void AddBuild(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<BuildFlags>();
  CLI::App* cmd = app.add_subcommand("build", "build an image from a Dockerfile");
  cmd->add_option("-t,--tag", flags->tags, "name:tag for the image (repeatable)")->allow_extra_args(false);
  cmd->add_option("-f,--file", flags->file, "the Dockerfile (default CONTEXT/Dockerfile; - = stdin)");
  cmd->add_option("--build-arg", flags->build_args, "KEY=VALUE build argument (repeatable)")->allow_extra_args(false);
  cmd->add_option("--label", flags->labels, "KEY=VALUE label on the image (repeatable)")->allow_extra_args(false);
  cmd->add_option("--annotation", flags->annotations,
                  "[manifest|index|manifest-descriptor:]KEY=VALUE: an annotation of the image manifest (default), or of "
                  "a multi-platform build's index or its manifest descriptors (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--attest", flags->attest,
                  "type=provenance[,mode=min|max] (SLSA provenance) or type=sbom (SPDX): attach an attestation, as buildx "
                  "(the image becomes an index; default none) (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--provenance", flags->provenance, "true|false|mode=min|mode=max: --attest type=provenance (default false)");
  cmd->add_option("--sbom", flags->sbom, "true|false: --attest type=sbom (default false)");
  cmd->add_option("--iidfile", flags->iidfile, "write the image ID (config digest) to this file");
  cmd->add_option("--metadata-file", flags->metadata_file, "write build metadata JSON (containerimage.digest) here");
  cmd->add_option("--target", flags->target, "the stage to build");
  cmd->add_option("--progress", flags->progress,
                  "auto (live view on a terminal, else plain), tty, plain, json, rawjson or quiet");
  cmd->add_flag("-q,--quiet", flags->quiet, "print only the image ID (--progress quiet)");
  cmd->add_option("--call", flags->call, "build (default), check (build checks only), outline or targets");
  cmd->add_flag("--check", flags->check, "run the build checks only (--call check)");
  cmd->add_option("--on-error", flags->on_error,
                  "shell: open a shell in a failed RUN's filesystem; keep: keep it as an image named in the error");
  cmd->add_option("--secret", flags->secrets, "id=ID,src=FILE or id=ID,env=VAR: a secret for RUN --mount=type=secret (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--ssh", flags->ssh,
                  "default|ID[=SOCKET|KEYFILE[,KEYFILE]]: an ssh agent (default: $SSH_AUTH_SOCK) or keys cairn serves as one, "
                  "for RUN --mount=type=ssh and git over ssh (default) (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--build-context", flags->build_contexts,
                  "NAME=DIR|docker-image://REF|oci-layout://DIR[:TAG]|GIT-URL: a source for FROM NAME, COPY --from=NAME, "
                  "RUN --mount=from=NAME; wins over a stage or image of that name (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--network", flags->network, "network for RUN: default (outbound, not the host's loopback), none (loopback only) or host");
  cmd->add_option("--allow", flags->allow, "network.host: an entitlement, as buildx (RUN --network=host needs it) (repeatable)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--add-host", flags->add_hosts, "HOST:IP: a line of every RUN's /etc/hosts (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--shm-size", flags->shm_size, "size of /dev/shm in RUN (default 64m)");
  cmd->add_option("--ulimit", flags->ulimits, "NAME=SOFT[:HARD], e.g. nofile=1024:4096: a limit of every RUN (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--security-opt", flags->security_opts, "no-new-privileges: for every RUN (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--platform", flags->platform,
                  "target platform(s), comma-separated: linux/amd64, linux/arm64, linux/arm/v7, ... (several: an image index; "
                  "default the host's)");
  cmd->add_option("--source-date-epoch", flags->source_date_epoch, "the build's timestamp, in seconds since 1970");
  cmd->add_flag("--no-cache", flags->no_cache, "do not use the step cache");
  cmd->add_flag("--pull", flags->pull, "pull every base image again, even one the store has (a moved tag is seen)");
  cmd->add_option("--no-cache-filter", flags->no_cache_filter, "do not use the step cache for these stages (repeatable, comma list)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--jobs", flags->jobs, "stages built at the same time (default: number of cores)");
  cmd->add_flag("--push", flags->push, "push every -t name to its registry after the build");
  cmd->add_flag("--load", flags->load,
                "load the image into the docker daemon at $DOCKER_HOST (unix socket; default /var/run/docker.sock), "
                "as -o type=docker");
  cmd->add_option("-o,--output", flags->outputs,
                  "type=registry | type=oci,dest=FILE|-|DIR,tar=false | type=docker[,dest=FILE|-] (no dest: --load) | "
                  "type=local,dest=DIR (the filesystem) | type=tar,dest=FILE|- (the filesystem as a tar; - = stdout); image outputs "
                  "also take annotation.KEY=V, annotation-manifest.KEY=V, annotation-index.KEY=V and "
                  "annotation-manifest-descriptor.KEY=V (multi-platform), compression=, compression-level=, oci-mediatypes=false "
                  "(repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--cache-to", flags->cache_to,
                  "type=registry,ref=R[,mode=min|max][,compression=gzip|zstd][,max-records=N][,max-size=SIZE][,ignore-error=true]"
                  "[,cache-mounts=true], type=local,dest=DIR[,the same options] or type=inline (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--cache-from", flags->cache_from, "type=registry,ref=R or type=local,src=DIR (repeatable: looked up in order, the first hit wins)")
      ->allow_extra_args(false);
  cmd->add_option("--compression", flags->compression, "layer compression: gzip (default) or zstd, [,level=N]");
  cmd->add_option("context", flags->context,
                  "the build context directory, a git URL (https://host/repo.git#ref:subdir, git@host:repo.git#ref), "
                  "or - (stdin: a context tar, plain or compressed, or a Dockerfile)")
      ->required();
  cmd->callback([&g, flags] { RunBuild(g, *flags); });
}

}  // namespace cairn::cli
