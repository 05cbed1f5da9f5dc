// One repository on one registry endpoint: builds API URLs, authenticates (anonymous or
// credentialed bearer tokens, or basic auth; credentials.h finds the credentials), uses the
// endpoint's certs.d TLS material (tls.h) and retries what is worth retrying. Thread-safe: pull's workers
// share one session.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/registry/credentials.h"
#include "store/registry/http.h"
#include "store/registry/registry.h"

namespace cairn::store::registry {

// Blobs moved at once: enough to hide latency, few enough not to flood a small registry.
inline constexpr size_t kTransferThreads = 3;

// How pull and push tell the Client what happened to a blob or manifest.
using Reporter = std::function<void(TransferEvent::Kind, const Descriptor&)>;

// How often a request is tried before its failure is reported (first try included).
inline constexpr int kMaxAttempts = 5;

// Sleeps before retry number `attempt` (1-based): exponential backoff, or the server's
// Retry-After when it names a few seconds.
void Backoff(int attempt, const HttpResponse* response = nullptr);

// True for statuses that say "try again later": 5xx and 429.
bool IsRetryable(long status);

// "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)": the status and the registry's own error
// codes from the body, for messages.
std::string Describe(const HttpResponse& response);

// "scheme://host[:port]" of the registry's own API.
std::string OriginEndpoint(const RegistryConfig& config, const std::string& registry);
// Where pulls of `registry` go, in order: its mirror (when configured), then the registry itself.
std::vector<std::string> PullEndpoints(const RegistryConfig& config, const std::string& registry);

class Session {
 public:
  // `endpoint` is "scheme://host[:port]" (a mirror, or the registry's API host); `registry` is
  // the registry's name, used to find credentials.
  Session(const RegistryConfig& config, std::string registry, std::string endpoint, std::string repository);

  const std::string& repository() const { return repository_; }
  const std::string& endpoint() const { return endpoint_; }
  // endpoint + "/v2/" + repository + suffix ("/manifests/latest").
  std::string RepoUrl(const std::string& suffix) const;

  // Extra token scope to ask for (e.g. "repository:other:pull" for a cross-repository mount);
  // a bearer token that lacks it is fetched again on the next challenge.
  void AddScope(const std::string& scope);

  // Sends the request with the current credentials, answering one 401 challenge. With `retry`,
  // transport errors, 5xx and 429 are retried up to kMaxAttempts with backoff; the last response
  // (any status) is returned, the last TransportError rethrown. Without `retry`, one attempt.
  HttpResponse Send(HttpRequest request, bool retry = true);

 private:
  HttpResponse SendAuthenticated(const HttpRequest& request);
  // The request with the current Authorization header; *used = that header's value.
  HttpRequest WithAuthorization(HttpRequest request, std::string* used = nullptr);
  // Answers a 401 to a request sent with `sent_with`: true when other credentials are in place
  // to try again.
  bool Authenticate(const HttpResponse& unauthorized, const std::string& sent_with);

  std::string registry_;
  std::string endpoint_;
  std::string repository_;
  std::optional<Credentials> credentials_;
  TlsFiles tls_;  // the endpoint's certs.d material, on every request to it
  std::mutex mu_;
  std::string authorization_;  // "Authorization" value, empty while anonymous
  std::set<std::string> scopes_;
};

}  // namespace cairn::store::registry
