// The docker-credential-helpers protocol: `docker-credential-<name> get|store|erase`, one
// request on stdin, one JSON reply on stdout. The helpers (desktop keychains, pass, ecr-login,
// gcloud, ...) are where `docker login` puts secrets when config.json names a credsStore or a
// credHelpers entry, so cairn runs them rather than reading secrets from a file.
// Nothing here puts a secret into an error message.
#pragma once

#include <optional>
#include <string>

namespace cairn::store::registry {

// What a helper holds for one server. Username "<token>" means Secret is an identity token
// (docker's convention), not a password.
struct HelperCredentials {
  std::string username;
  std::string secret;
};

// Runs `docker-credential-<helper> get` with `server_url` on stdin (found on PATH). Returns
// nullopt when the helper says it has no credentials for it ("credentials not found").
// Throws Error naming the helper (never the secret) when it cannot be run, fails otherwise, or
// replies with something that is not {"Username": ..., "Secret": ...}.
std::optional<HelperCredentials> HelperGet(const std::string& helper, const std::string& server_url);

// `docker-credential-<helper> store` with {"ServerURL","Username","Secret"} on stdin.
// Throws Error naming the helper when it fails; the message has the secret masked.
void HelperStore(const std::string& helper, const std::string& server_url, const HelperCredentials& credentials);

// `docker-credential-<helper> erase` with `server_url` on stdin. False when the helper had
// nothing stored for it; throws Error on other failures.
bool HelperErase(const std::string& helper, const std::string& server_url);

}  // namespace cairn::store::registry
