// Verbs that talk to registries: pull, push, login, logout.
//
// Local names (the one rule, also used by build's automatic FROM pull): the registry client tags
// a pulled image under its full name ("docker.io/library/busybox:latest"); pull then also tags
// it under the name the user wrote, normalised by store::NormalizeName ("busybox:latest"), so
// `cairn run busybox` finds what `cairn pull busybox` fetched. Push resolves NAME the same way:
// the local tag NormalizeName(NAME) first, else the full reference's name.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/error.h"
#include "base/fs.h"
#include "builder/attestation.h"
#include "cli/transfer_meter.h"
#include "cli/verbs.h"
#include "store/image.h"
#include "store/registry/credential_helper.h"
#include "store/registry/credentials.h"
#include "store/registry/registry.h"

namespace cairn::cli {

namespace reg = store::registry;

namespace {

// The local tag a user's NAME means, for push: NormalizeName(NAME) if tagged, else the full name.
std::string LocalNameFor(store::Store& store, const std::string& name, const reg::Reference& ref) {
  if (store.ResolveTag(name)) return name;
  if (store.ResolveTag(ref.String())) return ref.String();
  throw Error("no image named " + name + " (nor " + ref.String() + ") in the store; build it with -t " + name +
              " or give an existing image a name with `cairn tag SOURCE " + name + "`");
}

std::string DockerConfigPath(const reg::RegistryConfig& config) {
  return config.docker_config_path.empty() ? reg::DefaultDockerConfigPath() : config.docker_config_path;
}

// What a user may type for REGISTRY: "localhost:5000", "https://reg/", "docker.io", "index.docker.io".
std::string RegistryOf(const std::string& text) {
  std::string registry = reg::RegistryOfServerKey(text);
  if (registry.empty()) throw Error("login: empty registry name; give one like localhost:5000 or docker.io");
  return registry;
}

nlohmann::json ReadDockerConfig(const std::string& path) {
  if (!PathExists(path)) return nlohmann::json::object();
  try {
    nlohmann::json j = nlohmann::json::parse(ReadFile(path));
    if (!j.is_object()) throw Error("not a JSON object");
    return j;
  } catch (const std::exception& e) {
    // Never echo the content: it holds credentials.
    throw Error("docker credentials file " + path + " is malformed (" + std::string(e.what()).substr(0, 80) +
                "); fix or remove it");
  }
}

void WriteDockerConfig(const std::string& path, const nlohmann::json& j) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) MakeDirs(path.substr(0, slash), 0700);
  WriteFileAtomic(path, j.dump(1, '\t') + "\n", 0600);  // credentials: owner only
  (void)::chmod(path.c_str(), 0600);
}

}  // namespace

store::Descriptor PullImage(store::Store& store, const std::string& name, const Platform& platform) {
  reg::Reference ref = reg::ParseReference(name);
  reg::Client client(reg::LoadRegistryConfig());
  store::Descriptor d = client.Pull(store, ref, platform);
  // See the naming rule at the top of this file.
  if (ref.digest.empty() || !ref.tag.empty()) {
    std::string local = store::NormalizeName(name);
    if (local != ref.String()) store.SetTag(local, d);
  }
  return d;
}

store::Descriptor PushImage(store::Store& store, const std::string& name) {
  reg::Reference ref = reg::ParseReference(name);
  std::string local = LocalNameFor(store, store::NormalizeName(name), ref);
  // An index pulled for one platform lacks the others' images: push that image alone, as cairn
  // did before it kept indexes, and say so (build --platform A,B makes complete indexes).
  nlohmann::json index;
  if (store::ResolveIndex(store, local, &index) && !store::AbsentPlatforms(store, index).empty()) {
    store::Image image = store::LoadImage(store, local);
    std::fprintf(stderr, "%s: only some of its platforms were pulled; pushing its %s image alone "
                 "(pull the others with --platform to push the whole index)\n",
                 name.c_str(), ToString(store::PlatformOf(image.config)).c_str());
    local = image.manifest_descriptor.digest;
  }
  reg::Client client(reg::LoadRegistryConfig());
  return client.Push(store, local, ref);
}

store::Descriptor PushImageByDigest(store::Store& store, const std::string& name, const std::string& manifest_digest) {
  reg::Reference ref = reg::ParseReference(name);
  ref.tag.clear();
  ref.digest = manifest_digest;
  reg::Client client(reg::LoadRegistryConfig());
  return client.Push(store, manifest_digest, ref);
}

namespace {

// `cairn pull` of an index with attestations (cairn build --attest, buildx): the pulled image's
// attestation manifest and its statements too (small), so `inspect --provenance` and `push`
// of the pulled image keep them. FROM's pulls fetch none: a base needs no attestation.
void PullAttestation(store::Store& store, const std::string& name, const store::Descriptor& pulled, const Platform& platform) {
  nlohmann::json index;
  if (!store::ResolveIndex(store, pulled.digest, &index)) return;
  store::Image image = store::LoadImage(store, pulled.digest, platform);
  auto att = builder::FindAttestation(index, image.manifest_descriptor.digest);
  if (!att || store.HasBlob(att->digest)) return;
  reg::Reference ref = reg::ParseReference(name);
  ref.tag.clear();
  ref.digest = att->digest;
  reg::Client client(reg::LoadRegistryConfig());
  client.PullManifestAndConfig(store, ref);
  nlohmann::json m = nlohmann::json::parse(store.ReadBlob(att->digest));
  for (auto& l : m.value("layers", nlohmann::json::array())) client.PullBlob(store, ref, store::DescriptorFromJson(l));
}

}  // namespace

void AddPull(CLI::App& app, Globals& g) {
  auto name = std::make_shared<std::string>();
  auto platform = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("pull", "fetch an image from a registry into the store");
  cmd->add_option("ref", *name, "image reference (busybox, localhost:5000/a/b:1, x@sha256:...)")->required();
  cmd->add_option("--platform", *platform, "from an index, this platform's image (default the host's: linux/amd64 here)");
  cmd->callback([&g, name, platform] {
    store::Descriptor d;
    Platform want = platform->empty() ? HostPlatform() : ParsePlatform(*platform);
    {
      auto meter = StderrTransferMeter();  // bytes, total and rate on stderr while blobs arrive
      d = PullImage(g.Store(), *name, want);
      PullAttestation(g.Store(), *name, d, want);
    }
    std::printf("%s: %s\n", reg::ParseReference(*name).String().c_str(), d.digest.c_str());
  });
}

void AddPush(CLI::App& app, Globals& g) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("push", "upload an image to the registry its name points at (name it first with `cairn tag`)");
  cmd->add_option("name", *name, "image name, also the remote reference (localhost:5000/team/app:1)")->required();
  cmd->callback([&g, name] {
    reg::Reference ref = reg::ParseReference(*name);
    store::Descriptor d;
    {
      auto meter = StderrTransferMeter();
      d = PushImage(g.Store(), *name);
    }
    std::printf("%s: digest: %s size: %lld\n", ref.String().c_str(), d.digest.c_str(), static_cast<long long>(d.size));
  });
}

void AddLogin(CLI::App& app, Globals&) {
  struct Flags {
    std::string registry, user, password;
    bool password_stdin = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "login", "store credentials for a registry in docker's config.json, or through its credsStore/credHelpers helper");
  cmd->add_option("registry", f->registry, "registry (host[:port]; default docker.io)");
  cmd->add_option("-u,--username", f->user, "user name")->required();
  cmd->add_option("-p,--password", f->password, "password (prefer --password-stdin: argv is visible to others)");
  cmd->add_flag("--password-stdin", f->password_stdin, "read the password from standard input");
  cmd->callback([f] {
    if (f->password_stdin && !f->password.empty()) throw Error("login: give --password or --password-stdin, not both");
    if (f->password_stdin) {
      std::getline(std::cin, f->password);
      if (!f->password.empty() && f->password.back() == '\r') f->password.pop_back();
    }
    if (f->password.empty()) throw Error("login: no password; pass -p PASSWORD or --password-stdin");
    std::string registry = RegistryOf(f->registry.empty() ? "docker.io" : f->registry);
    std::string path = DockerConfigPath(reg::LoadRegistryConfig());
    nlohmann::json j = ReadDockerConfig(path);
    std::string helper = reg::ConfiguredHelper(path, registry);
    if (!helper.empty()) reg::HelperStore(helper, reg::DockerServerKey(registry), {f->user, f->password});
    if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = nlohmann::json::object();
    // Drop other spellings of the same registry so lookups see exactly one entry.
    for (auto it = j["auths"].begin(); it != j["auths"].end();)
      it = RegistryOf(it.key()) == registry ? j["auths"].erase(it) : std::next(it);
    // With a helper the file keeps docker's empty placeholder: the secret lives in the helper.
    j["auths"][reg::DockerServerKey(registry)] =
        helper.empty() ? nlohmann::json{{"auth", Base64Encode(f->user + ":" + f->password)}} : nlohmann::json::object();
    WriteDockerConfig(path, j);
    std::string where = helper.empty() ? "saved in " + path : "stored by docker-credential-" + helper;
    std::printf("Login Succeeded (credentials for %s %s; not checked against the registry)\n", registry.c_str(),
                where.c_str());
  });
}

void AddLogout(CLI::App& app, Globals&) {
  auto registry = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "logout", "remove a registry's credentials from docker's config.json and its credsStore/credHelpers helper");
  cmd->add_option("registry", *registry, "registry (host[:port]; default docker.io)");
  cmd->callback([registry] {
    std::string name = RegistryOf(registry->empty() ? "docker.io" : *registry);
    std::string path = DockerConfigPath(reg::LoadRegistryConfig());
    nlohmann::json j = ReadDockerConfig(path);
    std::string helper = reg::ConfiguredHelper(path, name);
    bool removed = !helper.empty() && reg::HelperErase(helper, reg::DockerServerKey(name));
    if (j.contains("auths") && j["auths"].is_object()) {
      for (auto it = j["auths"].begin(); it != j["auths"].end();) {
        if (RegistryOf(it.key()) == name) {
          it = j["auths"].erase(it);
          removed = true;
        } else {
          ++it;
        }
      }
    }
    if (removed && PathExists(path)) WriteDockerConfig(path, j);
    std::printf(removed ? "Removing login credentials for %s\n" : "Not logged in to %s\n", name.c_str());
  });
}

}  // namespace cairn::cli
