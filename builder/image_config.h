// The image config JSON (OCI image config, docker's field names) <-> plan::ImageConfig, and the
// other writes into it a build makes (created time, history, rootfs).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "plan/plan.h"

namespace cairn::builder {

// The Dockerfile-visible part of a stored image config.
plan::ImageConfig ConfigFromJson(const nlohmann::json& image_config);

// Writes `config` into image_config["config"] (and author/os/architecture) the way docker and
// BuildKit do: empty fields are omitted, maps become {"key":{}} objects. Fields cairn does not
// model are left as they are.
void ApplyConfig(nlohmann::json& image_config, const plan::ImageConfig& config);

// An empty image config for FROM scratch.
nlohmann::json ScratchImageConfig(const plan::ImageConfig& defaults);

// RFC 3339 UTC with whole seconds: 0 -> "1970-01-01T00:00:00Z".
std::string Rfc3339(int64_t unix_seconds);

}  // namespace cairn::builder
