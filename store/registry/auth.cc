// Credentials, challenges and the token flow of the distribution spec.
#include "store/registry/auth.h"

#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/error.h"
#include "base/fs.h"
#include "store/registry/http.h"

namespace cairn::store::registry {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one `key=value` or `key="quoted value"` pair at pos; advances pos past a trailing comma.
bool ParseParam(const std::string& h, size_t& pos, std::string& key, std::string& value) {
  pos = h.find_first_not_of(" \t,", pos);
  if (pos == std::string::npos) return false;
  size_t eq = h.find('=', pos);
  if (eq == std::string::npos) return false;
  key = Lower(h.substr(pos, eq - pos));
  while (!key.empty() && key.back() == ' ') key.pop_back();
  pos = eq + 1;
  value.clear();
  if (pos < h.size() && h[pos] == '"') {
    for (++pos; pos < h.size() && h[pos] != '"'; ++pos) {
      if (h[pos] == '\\' && pos + 1 < h.size()) ++pos;
      value += h[pos];
    }
    ++pos;
  } else {
    size_t end = h.find(',', pos);
    value = h.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? h.size() : end;
  }
  return true;
}

// The registry a docker config "auths" key names: "https://index.docker.io/v1/" -> "docker.io".
std::string AuthsKeyRegistry(std::string key) {
  if (size_t s = key.find("://"); s != std::string::npos) key = key.substr(s + 3);
  if (size_t slash = key.find('/'); slash != std::string::npos) key = key.substr(0, slash);
  if (key == "index.docker.io" || key == "registry-1.docker.io") key = "docker.io";
  return key;
}

std::optional<std::string> EntryCredentials(const nlohmann::json& entry) {
  if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty())
    return Base64Decode(entry["auth"].get<std::string>());
  if (entry.contains("username") && entry.contains("password"))
    return entry["username"].get<std::string>() + ":" + entry["password"].get<std::string>();
  return std::nullopt;
}

std::string TokenUrl(const Challenge& c, const std::set<std::string>& scopes) {
  std::string url = c.params.at("realm");
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  if (auto it = c.params.find("service"); it != c.params.end()) {
    url += sep + std::string("service=") + UrlEncode(it->second);
    sep = '&';
  }
  for (auto& s : scopes) {
    url += sep + std::string("scope=") + UrlEncode(s);
    sep = '&';
  }
  return url;
}

}  // namespace

std::optional<Challenge> ParseChallenge(const std::string& header) {
  size_t space = header.find(' ');
  if (header.empty() || space == std::string::npos) {
    if (header.empty()) return std::nullopt;
    return Challenge{Lower(header), {}};
  }
  Challenge c{Lower(header.substr(0, space)), {}};
  size_t pos = space + 1;
  std::string key, value;
  while (ParseParam(header, pos, key, value)) c.params[key] = value;
  return c;
}

std::string DefaultDockerConfigPath() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir) return JoinPath(dir, "config.json");
  const char* home = std::getenv("HOME");
  return JoinPath(home && *home ? home : "/root", ".docker/config.json");
}

std::optional<std::string> LookupCredentials(const std::string& docker_config_path, const std::string& registry) {
  std::string path = docker_config_path.empty() ? DefaultDockerConfigPath() : docker_config_path;
  if (!PathExists(path)) return std::nullopt;
  try {
    nlohmann::json config = nlohmann::json::parse(ReadFile(path));
    nlohmann::json auths = config.value("auths", nlohmann::json::object());  // a local: items() of a temporary dangles
    for (auto& [key, entry] : auths.items())
      if (AuthsKeyRegistry(key) == registry) return EntryCredentials(entry);
  } catch (const nlohmann::json::exception& e) {
    // e.what() names a position and a token kind, never the file's content.
    throw Error("docker credentials file " + path + " is malformed: " + e.what());
  } catch (const Error& e) {
    throw Error("docker credentials file " + path + ": the entry for " + registry + " is malformed: " + e.what());
  }
  return std::nullopt;
}

std::string FetchBearerToken(const Challenge& challenge, const std::set<std::string>& scopes,
                             const std::optional<std::string>& credentials) {
  if (!challenge.params.count("realm")) throw Error("registry asked for a bearer token but named no realm");
  const std::string& realm = challenge.params.at("realm");
  HttpRequest req;
  req.url = TokenUrl(challenge, scopes);
  if (credentials) req.headers.push_back("Authorization: " + BasicAuthorization(*credentials));
  HttpResponse resp = Perform(req);
  if (resp.status == 401 || resp.status == 403)
    throw Error("token service " + realm + " refused access (HTTP " + std::to_string(resp.status) +
                "); check this registry's entry in docker's config.json \"auths\"");
  if (resp.status != 200) throw Error("token service " + realm + " answered HTTP " + std::to_string(resp.status));
  try {
    nlohmann::json j = nlohmann::json::parse(resp.body);
    std::string token = j.value("token", "");
    if (token.empty()) token = j.value("access_token", "");
    if (token.empty()) throw Error("token service " + realm + " returned no token");
    return "Bearer " + token;
  } catch (const nlohmann::json::exception&) {
    throw Error("token service " + realm + " returned a reply that is not JSON");
  }
}

std::string BasicAuthorization(const std::string& credentials) { return "Basic " + Base64Encode(credentials); }

}  // namespace cairn::store::registry
