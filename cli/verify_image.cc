#include "cli/verify_image.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <set>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/platform.h"
#include "base/scope_guard.h"
#include "builder/attestation.h"
#include "builder/epoch.h"
#include "builder/git_source.h"
#include "builder/provenance.h"
#include "store/image.h"
#include "store/oci_dir.h"
#include "store/registry/registry.h"

namespace cairn::cli {

namespace reg = store::registry;
using nlohmann::json;

namespace {

// The published image and its provenance, in the user's store or pulled into `scratch`.
struct Published {
  std::unique_ptr<store::Store> own;  // set when pulled
  store::Store* store = nullptr;
  store::Image image;
  json statement;
};

std::optional<json> LocalIndex(const store::Store& store, const std::string& ref, store::Descriptor* d) {
  json index;
  auto found = store::ResolveIndex(store, ref, &index);
  if (!found) return std::nullopt;
  *d = *found;
  return index;
}

Published ReadPublished(store::Store& user, const ImageVerify& r, const std::string& scratch) {
  Published p;
  Platform platform = r.platform.empty() ? HostPlatform() : ParsePlatform(r.platform);
  store::Descriptor index_desc;
  std::optional<json> index = LocalIndex(user, r.image, &index_desc);
  std::optional<reg::Reference> ref;
  if (index) {
    p.store = &user;
  } else {
    if (user.ResolveTag(r.image))
      throw Error("verify " + r.image + ": the image is a single manifest, with no provenance; build it with --attest "
                  "type=provenance");
    ref = reg::ParseReference(r.image);
    p.own = std::make_unique<store::Store>(scratch);
    p.store = p.own.get();
    reg::Client client(reg::LoadRegistryConfig());
    index_desc = client.Pull(*p.store, *ref, platform);
    index = LocalIndex(*p.store, index_desc.digest, &index_desc);
    if (!index)
      throw Error("verify " + r.image + ": the image is a single manifest, with no provenance; build it with --attest "
                  "type=provenance");
  }
  p.image = store::LoadImage(*p.store, index_desc.digest, platform);
  auto att = builder::FindAttestation(*index, p.image.manifest_descriptor.digest);
  if (!att)
    throw Error("verify " + r.image + ": its " + ToString(platform) + " image " + p.image.manifest_descriptor.digest +
                " has no attestation manifest; build it with --attest type=provenance");
  if (!p.store->HasBlob(att->digest)) {
    if (!ref) throw Error("verify " + r.image + ": its attestation manifest " + att->digest + " is not in the store");
    reg::Client client(reg::LoadRegistryConfig());
    reg::Reference by_digest = *ref;
    by_digest.tag.clear();
    by_digest.digest = att->digest;
    client.PullManifestAndConfig(*p.store, by_digest);
    json m = json::parse(p.store->ReadBlob(att->digest));
    for (auto& l : m.value("layers", json::array())) client.PullBlob(*p.store, by_digest, store::DescriptorFromJson(l));
  }
  auto statement = builder::ReadStatement(*p.store, att->digest, builder::kSlsaProvenanceV1);
  if (!statement)
    throw Error("verify " + r.image + ": its attestations hold no SLSA provenance; build it with --attest type=provenance");
  p.statement = *statement;
  std::string subject = "sha256:" + p.statement["subject"].at(0)["digest"].value("sha256", "");
  if (subject != p.image.manifest_descriptor.digest)
    throw Error("verify " + r.image + ": the provenance is for " + subject + ", not the image " +
                p.image.manifest_descriptor.digest);
  return p;
}

// The first recorded context file DIR does not have as recorded, as a sentence; "" when all match.
std::string FirstContextDifference(const json& files, const std::string& dir) {
  for (auto& f : files) {
    std::string rel = f.value("path", "");
    std::string path = JoinPath(dir, rel);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return rel + " is missing (the build read it)";
    if (f.contains("symlink")) {
      char buf[PATH_MAX];
      ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
      std::string target = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
      if (!S_ISLNK(st.st_mode) || target != f.value("symlink", ""))
        return rel + " differs: the build read a symlink to " + f.value("symlink", "");
      continue;
    }
    if (!S_ISREG(st.st_mode)) return rel + " is no regular file (the build read one)";
    std::string digest = DigestOfFile(path);
    if (digest != f.value("digest", ""))
      return rel + " differs: the build read content " + f.value("digest", "") + ", " + dir + " has " + digest;
  }
  return "";
}

// Warns, before anything runs, of what the rebuild cannot promise.
void WarnNetworkSteps(const json& cairn) {
  if (cairn.value("mode", "min") != "max") {
    std::fprintf(stderr, "== verify: the provenance is mode=min: it records no steps, so a RUN that used the network "
                         "may fetch something else now\n");
    return;
  }
  for (auto& s : cairn.value("steps", json::array())) {
    std::string net = s.value("network", "");
    if (net.empty() || net == "none") continue;
    std::fprintf(stderr, "warning: [%s] %s used the network (%s): what it fetched is not recorded and may differ now\n",
                 s.value("stage", "").c_str(), s.value("instruction", "").c_str(), net.c_str());
  }
}

// An image epoch taken from the context's git HEAD comes back only from a work tree at a commit
// of the same time: said before the rebuild rather than found in its report.
void WarnGitHeadEpoch(const json& cairn, const std::string& dir) {
  const json& image = cairn.value("epoch", json::object()).value("image", json::object());
  if (image.value("from", "").rfind("git HEAD", 0) != 0) return;
  int64_t want = image.value("seconds", int64_t{0});
  std::optional<int64_t> head = builder::GitHeadCommitTime(dir);
  if (!head || *head != want)
    std::fprintf(stderr, "warning: the image's epoch (%lld) came from its context's git HEAD, and %s %s: the "
                 "config's created time will differ; verify the work tree at that commit\n",
                 static_cast<long long>(want), dir.c_str(),
                 head ? ("is at a commit of time " + std::to_string(*head)).c_str() : "is no git work tree");
}

// A manifest blob's descriptor, as a tag records it.
store::Descriptor ManifestDescriptor(const store::Store& store, const std::string& digest) {
  std::string bytes = store.ReadBlob(digest);
  json j = json::parse(bytes, nullptr, false);
  std::string mt = j.is_object() ? j.value("mediaType", "") : "";
  return {mt.empty() ? store::media::kOciManifest : mt, digest, static_cast<int64_t>(bytes.size()), {}};
}

// Every recorded base into the rebuild's store under the name the Dockerfile gives it, by its
// recorded digest: the user's store's copy, else pulled by digest.
void ProvideBases(store::Store& user, store::Store& rebuild, const json& deps) {
  for (auto& d : deps) {
    std::string uri = d.value("uri", "");
    if (uri.rfind("docker-image://", 0) != 0) continue;
    std::string name = uri.substr(15);
    std::string digest = "sha256:" + d["digest"].value("sha256", "");
    std::string platform = d.value("annotations", json::object()).value("platform", "");
    if (!rebuild.HasBlob(digest)) {
      if (user.HasBlob(digest)) {
        store::Image image = store::LoadImage(user, digest);
        store::OciDir src(user.root());
        src.CopyBlobTo(rebuild, ManifestDescriptor(user, digest));
        src.CopyBlobTo(rebuild, image.config_descriptor);
        for (auto& l : image.layers) src.CopyBlobTo(rebuild, l);
      } else {
        reg::Reference ref = reg::ParseReference(name);
        ref.tag.clear();
        ref.digest = digest;
        std::fprintf(stderr, "== verify: pulling base %s\n", ref.String().c_str());
        reg::Client client(reg::LoadRegistryConfig());
        try {
          client.Pull(rebuild, ref, platform.empty() ? HostPlatform() : ParsePlatform(platform));
        } catch (const std::exception& e) {
          throw Wrap("verify: base " + name + " at its recorded digest " + digest, e);
        }
      }
    }
    if (!IsValidDigest(name)) rebuild.SetTag(name, ManifestDescriptor(rebuild, digest));
  }
}

// The build flags the provenance records, for `cairn build`.
std::vector<std::string> RecordedFlags(const json& request, const json& cairn, const std::string& dockerfile,
                                       const std::vector<std::string>& given_args) {
  std::vector<std::string> flags = {"-f", dockerfile};
  std::set<std::string> given;
  for (auto& kv : given_args) {
    given.insert("build-arg:" + kv.substr(0, kv.find('=')));
    flags.insert(flags.end(), {"--build-arg", kv});
  }
  for (auto& name : cairn.value("redacted", json::array()))
    if (!given.count(name.get<std::string>()))
      std::fprintf(stderr, "warning: build arg %s held a URL's userinfo or a secret, which the provenance leaves out; "
                   "give its value with --build-arg %s=VALUE, or the rebuild uses the value without it\n",
                   name.get<std::string>().substr(10).c_str(), name.get<std::string>().substr(10).c_str());
  const json& args = request.value("args", json::object());
  for (auto& [k, v] : args.items()) {
    if (given.count(k)) continue;
    if (k.rfind("context:", 0) == 0)
      throw Error("verify: the image was built with --build-context " + k.substr(8) +
                  ", which its provenance does not record; verify rebuilds only builds without named contexts");
    auto with = [&](const char* prefix, const char* flag) {
      if (k.rfind(prefix, 0) != 0) return false;
      flags.insert(flags.end(), {flag, k.substr(std::string(prefix).size()) + "=" + v.get<std::string>()});
      return true;
    };
    if (with("build-arg:", "--build-arg") || with("label:", "--label") || with("annotation:", "--annotation")) continue;
    if (k == "target") flags.insert(flags.end(), {"--target", v.get<std::string>()});
    else if (k == "platform") flags.insert(flags.end(), {"--platform", v.get<std::string>()});
    else if (k == "network") flags.insert(flags.end(), {"--network", v.get<std::string>()});
    else if (k == "shm-size") flags.insert(flags.end(), {"--shm-size", v.get<std::string>()});
    else if (k == "oci-mediatypes") flags.insert(flags.end(), {"-o", "type=image,oci-mediatypes=false"});
    else if (k == "add-hosts")
      for (auto& h : v) flags.insert(flags.end(), {"--add-host", h.get<std::string>()});
    else if (k == "ulimit")
      for (auto& u : v) flags.insert(flags.end(), {"--ulimit", u.get<std::string>()});
    else if (k == "allow")
      for (auto& a : v) flags.insert(flags.end(), {"--allow", a.get<std::string>()});
  }
  flags.insert(flags.end(), {"--compression", cairn.value("compression", "gzip")});
  const json& epoch = cairn.value("epoch", json::object());
  if (epoch.value("explicit", false))
    flags.insert(flags.end(), {"--source-date-epoch", std::to_string(epoch["layer"].value("seconds", 0))});
  return flags;
}

}  // namespace

std::optional<ImageVerify> ImageVerifyRequest(const std::vector<std::string>& args) {
  ImageVerify r;
  std::vector<std::string> rest;
  bool image_form = false;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    auto value = [&](const char* flag, std::string& into) {
      std::string f = flag;
      if (a == f) {
        if (i + 1 >= args.size()) throw Error("verify: " + f + " needs a value");
        into = args[++i];
        return true;
      }
      if (a.rfind(f + "=", 0) == 0) {
        into = a.substr(f.size() + 1);
        return true;
      }
      return false;
    };
    if (value("--context", r.context)) {
      image_form = true;
      continue;
    }
    if (value("--platform", r.platform)) continue;
    std::string v;
    if (value("--secret", v)) {
      r.secrets.push_back(v);
      continue;
    }
    if (value("--ssh", v)) {
      r.ssh.push_back(v);
      continue;
    }
    if (value("--build-arg", v)) {
      r.build_args.push_back(v);
      continue;
    }
    rest.push_back(a);
  }
  if (!image_form && !(rest.size() == 1 && !IsDirectory(rest[0]) && !builder::IsGitUrl(rest[0]) &&
                       rest[0] != "-" && rest[0].rfind('-', 0) != 0))
    return std::nullopt;
  if (rest.size() != 1)
    throw Error("verify --context " + r.context + ": give one image (cairn verify IMAGE-REF --context DIR)");
  r.image = rest[0];
  if (r.image.rfind('/', 0) == 0 || r.image.rfind("./", 0) == 0 || r.image.rfind("../", 0) == 0)
    throw Error("verify " + r.image + ": no such directory (to verify an image, name it: cairn verify REGISTRY/REPO:TAG)");
  return r;
}

int VerifyImage(store::Store& user, const ImageVerify& r) {
  std::string work = user.NewScratchDir("verify-image-");
  ScopeExit remove_work([&] { RemoveAll(work); });
  Published p = ReadPublished(user, r, JoinPath(work, "published"));
  const json& def = p.statement["predicate"]["buildDefinition"];
  const json& request = def["externalParameters"]["request"];
  const json& cairn = def["internalParameters"]["cairn"];
  const json& deps = def["resolvedDependencies"];
  std::string dockerfile = def["externalParameters"]["configSource"].value("path", "Dockerfile");
  std::string dockerfile_digest = "sha256:" + def["externalParameters"]["configSource"]["digest"].value("sha256", "");
  json context;
  for (auto& d : deps)
    if (d.value("name", "") == "context") context = d;
  std::fprintf(stderr, "== verify: %s: image %s, provenance mode=%s\n", r.image.c_str(),
               p.image.manifest_descriptor.digest.c_str(), cairn.value("mode", "min").c_str());
  WarnNetworkSteps(cairn);

  // The context: the directory given, checked against the record, or the recorded git commit.
  std::string context_arg;
  if (!r.context.empty()) {
    if (!IsDirectory(r.context)) throw Error("verify --context " + r.context + ": no such directory");
    std::string df = JoinPath(r.context, dockerfile);
    if (!PathExists(df))
      throw Error("verify: the context " + r.context + " differs from the one " + r.image + " was built from: " +
                  dockerfile + " (the Dockerfile) is missing");
    if (DigestOfFile(df) != dockerfile_digest)
      throw Error("verify: the context " + r.context + " differs from the one " + r.image + " was built from: " +
                  dockerfile + " (the Dockerfile) differs: the build read " + dockerfile_digest);
    if (cairn.contains("contextFiles")) {
      std::string diff = FirstContextDifference(cairn["contextFiles"], r.context);
      if (!diff.empty())
        throw Error("verify: the context " + r.context + " differs from the one " + r.image + " was built from: " + diff);
      std::fprintf(stderr, "== verify: the context matches the %zu recorded files\n", cairn["contextFiles"].size());
    } else {
      std::fprintf(stderr, "== verify: mode=min records no file list; the rebuild checks the context\n");
    }
    context_arg = r.context;
    dockerfile = df;
    WarnGitHeadEpoch(cairn, r.context);
  } else if (context.value("digest", json::object()).contains("gitCommit")) {
    std::string subdir = context.value("annotations", json::object()).value("subdir", "");
    context_arg = context.value("uri", "") + "#" + context["digest"].value("gitCommit", "") +
                  (subdir.empty() ? "" : ":" + subdir);
    std::fprintf(stderr, "== verify: the context is %s\n", context_arg.c_str());
  } else {
    throw Error("verify " + r.image + ": it was built from a local context; give it with --context DIR");
  }

  std::string root = JoinPath(work, "rebuild");
  {
    store::Store rebuild(root);
    ProvideBases(user, rebuild, deps);
  }
  std::vector<std::string> args = RecordedFlags(request, cairn, dockerfile, r.build_args);
  for (auto& v : r.secrets) args.insert(args.end(), {"--secret", v});
  for (auto& v : r.ssh) args.insert(args.end(), {"--ssh", v});
  args.push_back(context_arg);
  // The rebuild takes its epoch from the record alone, never from this shell's environment.
  ::unsetenv("SOURCE_DATE_EPOCH");
  Condition c{"rebuild", "UTC", 022, "cairn-verify", false};
  std::string want = p.image.manifest_descriptor.digest;
  std::string got = BuildUnder(c, root, args, JoinPath(work, "rebuild.json"));
  store::Store rebuild(root);
  builder::DiffReport report = builder::DiffBuilds(*p.store, want, rebuild, got);
  if (r.json) {
    std::printf("%s\n", VerifyJson(report, want, got).dump(2).c_str());
  } else if (report.identical()) {
    std::printf("reproduced, bit for bit: %s\n", want.c_str());
  } else {
    std::fputs(VerifyText(report, want, got).c_str(), stdout);
  }
  return report.identical() ? 0 : 1;
}

}  // namespace cairn::cli
