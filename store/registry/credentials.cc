// The credential lookup chain of docker and podman.
#include "store/registry/credentials.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/error.h"
#include "base/fs.h"
#include "store/registry/credential_helper.h"

namespace cairn::store::registry {
namespace {

// A helper's "<token>" user marks an identity token (docker-credential-helpers' convention).
constexpr const char* kTokenUser = "<token>";

std::optional<nlohmann::json> ReadConfig(const std::string& path, const char* what) {
  if (!PathExists(path)) return std::nullopt;
  try {
    nlohmann::json j = nlohmann::json::parse(ReadFile(path));
    if (!j.is_object()) throw Error("not a JSON object");
    return j;
  } catch (const nlohmann::json::exception& e) {
    // e.what() names a position and a token kind, never the file's content.
    throw Error(std::string(what) + " " + path + " is malformed: " + e.what());
  } catch (const Error& e) {
    throw Error(std::string(what) + " " + path + " is malformed: " + e.what());
  }
}

std::optional<Credentials> EntryCredentials(const nlohmann::json& entry) {
  if (!entry.is_object()) throw Error("an entry is not an object");
  Credentials c;
  if (auto it = entry.find("auth"); it != entry.end() && it->is_string() && !it->get<std::string>().empty()) {
    std::string pair = Base64Decode(it->get<std::string>());
    size_t colon = pair.find(':');
    c.username = pair.substr(0, colon);
    c.secret = colon == std::string::npos ? "" : pair.substr(colon + 1);
  } else if (entry.contains("username") && entry.contains("password")) {
    c.username = entry["username"].get<std::string>();
    c.secret = entry["password"].get<std::string>();
  }
  if (auto it = entry.find("identitytoken"); it != entry.end() && it->is_string() && !it->get<std::string>().empty()) {
    c.secret = it->get<std::string>();
    c.identity_token = true;
  }
  if (c.secret.empty()) return std::nullopt;  // docker's `{}` placeholder next to a credsStore
  return c;
}

// The "auths" entry of `config` for registry, nullopt when there is none.
std::optional<Credentials> FromAuths(const nlohmann::json& config, const std::string& path, const std::string& registry,
                                     const char* what) {
  nlohmann::json auths = config.value("auths", nlohmann::json::object());  // a local: items() of a temporary dangles
  if (!auths.is_object()) throw Error(std::string(what) + " " + path + ": \"auths\" is not an object");
  for (auto& [key, entry] : auths.items()) {
    if (RegistryOfServerKey(key) != registry) continue;
    try {
      return EntryCredentials(entry);
    } catch (const std::exception& e) {
      throw Error(std::string(what) + " " + path + ": the entry for " + registry + " is malformed: " + e.what());
    }
  }
  return std::nullopt;
}

std::string HelperIn(const nlohmann::json& config, const std::string& registry) {
  nlohmann::json helpers = config.value("credHelpers", nlohmann::json::object());
  if (helpers.is_object())
    for (auto& [key, name] : helpers.items())
      if (RegistryOfServerKey(key) == registry && name.is_string()) return name.get<std::string>();
  if (auto it = config.find("credsStore"); it != config.end() && it->is_string()) return it->get<std::string>();
  return "";
}

std::optional<Credentials> FromHelper(const std::string& helper, const std::string& registry) {
  auto got = HelperGet(helper, DockerServerKey(registry));
  if (!got) return std::nullopt;
  Credentials c{got->username, got->secret, got->username == kTokenUser};
  if (c.identity_token) c.username.clear();
  return c;
}

}  // namespace

std::string DockerServerKey(const std::string& registry) {
  return registry == "docker.io" ? "https://index.docker.io/v1/" : registry;
}

std::string RegistryOfServerKey(std::string key) {
  if (size_t s = key.find("://"); s != std::string::npos) key = key.substr(s + 3);
  if (size_t slash = key.find('/'); slash != std::string::npos) key = key.substr(0, slash);
  if (key == "index.docker.io" || key == "registry-1.docker.io") key = "docker.io";
  return key;
}

std::string DefaultDockerConfigPath() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir) return JoinPath(dir, "config.json");
  const char* home = std::getenv("HOME");
  return JoinPath(home && *home ? home : "/root", ".docker/config.json");
}

std::string PodmanAuthFilePath() {
  if (const char* file = std::getenv("REGISTRY_AUTH_FILE"); file && *file) return file;
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run) return JoinPath(run, "containers/auth.json");
  return "";
}

std::string ConfiguredHelper(const std::string& docker_config_path, const std::string& registry) {
  std::string path = docker_config_path.empty() ? DefaultDockerConfigPath() : docker_config_path;
  auto config = ReadConfig(path, "docker config file");
  return config ? HelperIn(*config, registry) : "";
}

std::optional<Credentials> FindCredentials(const std::string& docker_config_path, const std::string& registry) {
  std::string path = docker_config_path.empty() ? DefaultDockerConfigPath() : docker_config_path;
  if (auto config = ReadConfig(path, "docker credentials file")) {
    // With a helper configured, docker's file holds no secrets for the registry, only `{}`.
    if (std::string helper = HelperIn(*config, registry); !helper.empty()) {
      if (auto c = FromHelper(helper, registry)) return c;
    } else if (auto c = FromAuths(*config, path, registry, "docker credentials file")) {
      return c;
    }
  }
  std::string podman = PodmanAuthFilePath();
  if (podman.empty()) return std::nullopt;
  auto config = ReadConfig(podman, "podman auth file");
  return config ? FromAuths(*config, podman, registry, "podman auth file") : std::nullopt;
}

}  // namespace cairn::store::registry
