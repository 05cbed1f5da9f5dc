// Registry authentication: docker's credentials file, WWW-Authenticate challenges, bearer tokens.
// Nothing here ever puts a credential or a token into an error message.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

namespace cairn::store::registry {

struct Challenge {
  std::string scheme;                         // "bearer" or "basic", lower-cased
  std::map<std::string, std::string> params;  // realm, service, scope, ...
};

// Parses a WWW-Authenticate value ("Bearer realm=\"https://a/token\",service=\"reg\",scope=\"...\"").
// Returns nullopt for an empty or unparseable header.
std::optional<Challenge> ParseChallenge(const std::string& header);

// "user:password" for `registry` from docker's config.json "auths" (the "auth" base64 field, or
// "username"/"password"). Docker Hub's key "https://index.docker.io/v1/" matches "docker.io".
// nullopt when the file or the entry is missing. A malformed file throws Error naming the file.
std::optional<std::string> LookupCredentials(const std::string& docker_config_path, const std::string& registry);

// docker's default credentials file: $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
std::string DefaultDockerConfigPath();

// Asks the challenge's realm for a bearer token covering `scopes` (sent as basic auth when
// `credentials` are given). Returns the "Authorization" header value ("Bearer <token>").
// Throws Error naming the realm (never the credentials) when no token is granted.
std::string FetchBearerToken(const Challenge& challenge, const std::set<std::string>& scopes,
                             const std::optional<std::string>& credentials);

// "Basic <base64(user:password)>".
std::string BasicAuthorization(const std::string& credentials);

}  // namespace cairn::store::registry
