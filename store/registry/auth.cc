// Credentials, challenges and the token flow of the distribution spec.
#include "store/registry/auth.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/error.h"
#include "store/registry/http.h"
#include "store/registry/tls.h"

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

// The host[:port] of a URL, for its certs.d directory.
std::string HostPort(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  return url.substr(start, url.find_first_of("/?", start) - start);
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

// docker's OAuth2 request for an identity token: a form POST trading the refresh token for an
// access token (distribution's token spec, "grant_type=refresh_token").
HttpRequest RefreshTokenRequest(const Challenge& c, const std::set<std::string>& scopes, const std::string& token) {
  HttpRequest req;
  req.method = "POST";
  req.url = c.params.at("realm");
  req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  req.body = "grant_type=refresh_token&refresh_token=" + UrlEncode(token) + "&client_id=cairn";
  if (auto it = c.params.find("service"); it != c.params.end()) req.body += "&service=" + UrlEncode(it->second);
  std::string scope;
  for (auto& s : scopes) scope += (scope.empty() ? "" : " ") + s;
  if (!scope.empty()) req.body += "&scope=" + UrlEncode(scope);
  return req;
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

std::string FetchBearerToken(const Challenge& challenge, const std::set<std::string>& scopes,
                             const std::optional<Credentials>& credentials) {
  if (!challenge.params.count("realm")) throw Error("registry asked for a bearer token but named no realm");
  const std::string& realm = challenge.params.at("realm");
  HttpRequest req;
  if (credentials && credentials->identity_token) {
    req = RefreshTokenRequest(challenge, scopes, credentials->secret);
  } else {
    req.url = TokenUrl(challenge, scopes);
    if (credentials) req.headers.push_back("Authorization: " + BasicAuthorization(credentials->UserPassword()));
  }
  req.tls = RegistryTls(HostPort(realm));
  HttpResponse resp = Perform(req);
  if (resp.status == 401 || resp.status == 403 || (credentials && credentials->identity_token && resp.status == 400))
    throw Error("token service " + realm + " refused access (HTTP " + std::to_string(resp.status) + "); " +
                (credentials ? "check this registry's credentials (docker login / cairn login)"
                             : "log in first: cairn login REGISTRY"));
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
