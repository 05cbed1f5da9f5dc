#include "cli/proxy_env.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::cli {

namespace {

struct Family {
  const char* upper;
  const char* lower;
  const char* config_key;  // in config.json's proxies.default
};

constexpr Family kFamilies[] = {{"HTTP_PROXY", "http_proxy", "httpProxy"},
                                {"HTTPS_PROXY", "https_proxy", "httpsProxy"},
                                {"FTP_PROXY", "ftp_proxy", "ftpProxy"},
                                {"NO_PROXY", "no_proxy", "noProxy"},
                                {"ALL_PROXY", "all_proxy", "allProxy"}};

nlohmann::json ConfigProxies(const std::string& path) {
  if (path.empty() || !PathExists(path)) return nlohmann::json::object();
  nlohmann::json config = nlohmann::json::parse(ReadFile(path), nullptr, false);
  if (config.is_discarded() || !config.is_object())
    throw Error(path + ": not a JSON object (docker's config file, read for proxies.default)");
  auto proxies = config.find("proxies");
  if (proxies == config.end() || !proxies->is_object()) return nlohmann::json::object();
  auto def = proxies->find("default");
  return def != proxies->end() && def->is_object() ? *def : nlohmann::json::object();
}

}  // namespace

std::vector<std::string> ProxyEnv(const std::map<std::string, std::string>& build_args,
                                  const std::string& docker_config_path) {
  nlohmann::json config = ConfigProxies(docker_config_path);
  std::vector<std::string> env;
  for (const Family& f : kFamilies) {
    std::string value;
    bool found = false;
    for (const char* name : {f.upper, f.lower}) {
      if (auto it = build_args.find(name); !found && it != build_args.end()) value = it->second, found = true;
    }
    for (const char* name : {f.upper, f.lower}) {
      if (const char* v = std::getenv(name); !found && v && *v) value = v, found = true;
    }
    if (auto it = config.find(f.config_key); !found && it != config.end() && it->is_string() && !it->get<std::string>().empty())
      value = it->get<std::string>(), found = true;
    if (!found) continue;
    env.push_back(std::string(f.upper) + "=" + value);
    env.push_back(std::string(f.lower) + "=" + value);
  }
  return env;
}

}  // namespace cairn::cli
