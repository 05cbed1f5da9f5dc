// Where a registry's credentials come from, in the order docker and podman look:
//   1. docker's config.json ($DOCKER_CONFIG/config.json, else ~/.docker/config.json, or the
//      registries.json "docker_config"): a credHelpers entry for the registry, else credsStore
//      (both run docker-credential-<name>, credential_helper.h), else its "auths" entry
//      ("auth" base64 user:password, "username"/"password", or "identitytoken");
//   2. podman's auth file, same "auths" format: $REGISTRY_AUTH_FILE, else
//      $XDG_RUNTIME_DIR/containers/auth.json — consulted only when docker's config has nothing.
// Nothing here puts a secret into an error message.
#pragma once

#include <optional>
#include <string>

namespace cairn::store::registry {

struct Credentials {
  std::string username;
  std::string secret;
  // The secret is an identity token (docker's "identitytoken", or a helper's "<token>" user): an
  // OAuth2 refresh token traded at the token service for access tokens, never sent as basic auth.
  bool identity_token = false;

  std::string UserPassword() const { return username + ":" + secret; }
};

// The credentials for `registry` ("host[:port]", "docker.io") by the order above. An empty
// docker_config_path means the default. nullopt when nothing names the registry (anonymous
// access). Throws Error naming the file or helper (never a secret) when a file is malformed or a
// helper fails.
std::optional<Credentials> FindCredentials(const std::string& docker_config_path, const std::string& registry);

// docker's default config file: $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
std::string DefaultDockerConfigPath();

// podman's auth file: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json; "" when
// neither variable is set.
std::string PodmanAuthFilePath();

// The helper docker's config names for `registry` (credHelpers first, then credsStore), "" when
// none: `cairn login` stores through it, as `docker login` does.
std::string ConfiguredHelper(const std::string& docker_config_path, const std::string& registry);

// The key docker writes a registry's credentials under and passes to helpers:
// "https://index.docker.io/v1/" for docker.io, else "host[:port]".
std::string DockerServerKey(const std::string& registry);

// The registry an "auths" key or a user's REGISTRY argument names: "https://reg/v1/" -> "reg",
// "index.docker.io" -> "docker.io".
std::string RegistryOfServerKey(std::string key);

}  // namespace cairn::store::registry
