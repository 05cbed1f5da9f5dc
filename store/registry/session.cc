// Authentication and retries around single HTTP requests.
#include "store/registry/session.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/registry/auth.h"
#include "store/registry/tls.h"

namespace cairn::store::registry {

void Backoff(int attempt, const HttpResponse* response) {
  // 200ms, 400ms, 800ms, ... capped at 5s: a registry restarting behind a load balancer
  // usually answers again within seconds, and a handful of tries bounds the wait.
  auto delay = std::chrono::milliseconds(std::min(200 << std::min(attempt - 1, 10), 5000));
  if (response) {
    std::string after = response->Header("retry-after");
    if (!after.empty() && std::all_of(after.begin(), after.end(), [](unsigned char c) { return std::isdigit(c) != 0; }) && after.size() < 3)
      delay = std::chrono::seconds(std::min(std::stoi(after), 30));
  }
  std::this_thread::sleep_for(delay);
}

bool IsRetryable(long status) { return status >= 500 || status == 429; }

std::string Describe(const HttpResponse& response) {
  std::string out = "HTTP " + std::to_string(response.status);
  // The distribution spec's error body: {"errors": [{"code": "...", "message": "..."}]}.
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("errors") || !body["errors"].is_array()) return out;
  std::string codes;
  for (auto& e : body["errors"]) {
    if (!e.is_object() || !e.contains("code") || !e["code"].is_string()) continue;
    if (!codes.empty()) codes += "; ";
    codes += e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) codes += ": " + e["message"].get<std::string>();
  }
  return codes.empty() ? out : out + " (" + codes + ")";
}

Session::Session(const RegistryConfig& config, std::string registry, std::string endpoint, std::string repository)
    : registry_(std::move(registry)), endpoint_(std::move(endpoint)), repository_(std::move(repository)) {
  credentials_ = FindCredentials(config.docker_config_path, registry_);
  size_t host = endpoint_.find("://");
  tls_ = RegistryTls(host == std::string::npos ? endpoint_ : endpoint_.substr(host + 3));
  scopes_.insert("repository:" + repository_ + ":pull");
}

std::string Session::RepoUrl(const std::string& suffix) const { return endpoint_ + "/v2/" + repository_ + suffix; }

void Session::AddScope(const std::string& scope) {
  std::lock_guard<std::mutex> lock(mu_);
  // A token is granted for the scopes asked at the time: drop it so the next request's challenge
  // fetches one that covers the new scope too (a registry that lacks pull access on a mount's
  // source silently uploads instead of mounting).
  if (scopes_.insert(scope).second && authorization_.rfind("Bearer ", 0) == 0) authorization_.clear();
}

bool Session::Authenticate(const HttpResponse& unauthorized, const std::string& sent_with) {
  std::optional<Challenge> c = ParseChallenge(unauthorized.Header("www-authenticate"));
  if (!c) return false;
  // Held across the token request: workers refused at the same moment wait for one token.
  std::lock_guard<std::mutex> lock(mu_);
  if (!authorization_.empty() && authorization_ != sent_with) return true;  // another worker got one meanwhile
  if (c->scheme == "basic") {
    // An identity token is only ever traded at a token service, never sent as a password.
    if (!credentials_ || credentials_->identity_token) return false;
    authorization_ = BasicAuthorization(credentials_->UserPassword());
    return true;
  }
  if (c->scheme != "bearer") return false;
  // The challenge names the scope this request needs; keep it for the requests that follow.
  if (auto it = c->params.find("scope"); it != c->params.end()) {
    std::istringstream scopes(it->second);
    for (std::string s; scopes >> s;) scopes_.insert(s);
  }
  authorization_ = FetchBearerToken(*c, scopes_, credentials_);
  return true;
}

HttpRequest Session::WithAuthorization(HttpRequest request, std::string* used) {
  request.tls = tls_;
  std::lock_guard<std::mutex> lock(mu_);
  if (!authorization_.empty()) request.headers.push_back("Authorization: " + authorization_);
  if (used) *used = authorization_;
  return request;
}

HttpResponse Session::SendAuthenticated(const HttpRequest& request) {
  std::string used;
  HttpResponse resp = Perform(WithAuthorization(request, &used));
  // One answer to one challenge: a second 401 means the credentials do not grant this.
  if (resp.status != 401 || !Authenticate(resp, used)) return resp;
  return Perform(WithAuthorization(request));
}

HttpResponse Session::Send(HttpRequest request, bool retry) {
  int attempts = retry ? kMaxAttempts : 1;
  for (int attempt = 1;; ++attempt) {
    try {
      HttpResponse resp = SendAuthenticated(request);
      if (!IsRetryable(resp.status) || attempt == attempts) return resp;
      Backoff(attempt, &resp);
    } catch (const TransportError& e) {
      if (attempt == attempts && !retry) throw;
      if (attempt == attempts) throw TransportError(std::string(e.what()) + " (tried " + std::to_string(attempt) + " times)");
      Backoff(attempt);
    }
  }
}

}  // namespace cairn::store::registry
