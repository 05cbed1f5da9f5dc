// The registry configuration file and the plain-http rule.
#include <arpa/inet.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fs.h"
#include "store/registry/registry.h"
#include "store/registry/session.h"
#include "store/registry/tls.h"

namespace cairn::store::registry {
namespace {

constexpr const char* kDefaultPath = "/etc/cairn/registries.json";

RegistryConfig ParseConfig(const std::string& path, const std::string& text) {
  RegistryConfig config;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    // Locals: ranging over a temporary's items() dangles.
    nlohmann::json mirrors = j.value("mirrors", nlohmann::json::object());
    nlohmann::json insecure = j.value("insecure", nlohmann::json::array());
    if (!mirrors.is_object()) throw Error("registry configuration " + path + ": \"mirrors\" must be an object");
    for (auto& [name, mirror] : mirrors.items()) config.mirrors[name] = mirror.get<std::string>();
    for (auto& host : insecure) config.insecure.insert(host.get<std::string>());
    config.docker_config_path = j.value("docker_config", "");
  } catch (const nlohmann::json::exception& e) {
    throw Error("registry configuration " + path + " is malformed: " + e.what() +
                " (expected {\"mirrors\": {\"docker.io\": \"host\"}, \"insecure\": [\"host:port\"], \"docker_config\": \"path\"})");
  }
  return config;
}

// The host part of "host[:port]" or "[v6]:port".
std::string HostOnly(const std::string& registry) {
  if (!registry.empty() && registry.front() == '[') return registry.substr(1, registry.find(']') - 1);
  return registry.substr(0, registry.rfind(':') == std::string::npos ? std::string::npos : registry.rfind(':'));
}

}  // namespace

RegistryConfig LoadRegistryConfig(const std::string& path) {
  std::string chosen = path;
  if (chosen.empty()) {
    const char* env = std::getenv("CAIRN_REGISTRIES_CONFIG");
    chosen = env && *env ? env : "";
  }
  if (chosen.empty()) {
    // The default file is optional: most machines need no mirrors and no insecure registries.
    if (!PathExists(kDefaultPath)) return {};
    chosen = kDefaultPath;
  }
  return ParseConfig(chosen, ReadFile(chosen));
}

bool UsesPlainHttp(const RegistryConfig& config, const std::string& registry) {
  if (config.insecure.count(registry)) return true;
  // A certs.d directory says the registry serves TLS (tls.h), on loopback too.
  if (!CertsDirFor(registry).empty()) return false;
  // Loopback registries are plain http, as docker treats them: nothing leaves the machine.
  std::string host = HostOnly(registry);
  if (host == "localhost" || host == "::1") return true;
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) == 1) return (ntohl(addr.s_addr) >> 24) == 127;
  return false;
}

std::string OriginEndpoint(const RegistryConfig& config, const std::string& registry) {
  return std::string(UsesPlainHttp(config, registry) ? "http://" : "https://") + ApiHost(registry);
}

std::vector<std::string> PullEndpoints(const RegistryConfig& config, const std::string& registry) {
  std::vector<std::string> out;
  if (auto it = config.mirrors.find(registry); it != config.mirrors.end()) {
    std::string mirror = it->second;
    while (!mirror.empty() && mirror.back() == '/') mirror.pop_back();
    if (mirror.find("://") == std::string::npos)
      mirror = std::string(UsesPlainHttp(config, mirror) ? "http://" : "https://") + mirror;
    out.push_back(mirror);
  }
  out.push_back(OriginEndpoint(config, registry));
  return out;
}

}  // namespace cairn::store::registry
