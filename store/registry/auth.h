// Registry authentication: WWW-Authenticate challenges and bearer tokens (credentials.h finds
// the credentials). Nothing here ever puts a credential or a token into an error message.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "store/registry/credentials.h"

namespace cairn::store::registry {

struct Challenge {
  std::string scheme;                         // "bearer" or "basic", lower-cased
  std::map<std::string, std::string> params;  // realm, service, scope, ...
};

// Parses a WWW-Authenticate value ("Bearer realm=\"https://a/token\",service=\"reg\",scope=\"...\"").
// Returns nullopt for an empty or unparseable header.
std::optional<Challenge> ParseChallenge(const std::string& header);

// Asks the challenge's realm for a bearer token covering `scopes`. With a user and password it
// is a GET sent with basic auth; with an identity token, docker's OAuth2 form POST
// (grant_type=refresh_token). Returns the "Authorization" header value ("Bearer <token>").
// Throws Error naming the realm (never the credentials) when no token is granted.
std::string FetchBearerToken(const Challenge& challenge, const std::set<std::string>& scopes,
                             const std::optional<Credentials>& credentials);

// "Basic <base64(user:password)>".
std::string BasicAuthorization(const std::string& credentials);

}  // namespace cairn::store::registry
