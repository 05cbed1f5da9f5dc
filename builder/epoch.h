// SOURCE_DATE_EPOCH: the one clock a build may read. Every mtime in a new layer is clamped to it,
// and the config's `created` and every new history entry carry it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cairn::builder {

struct SourceDateEpoch {
  int64_t seconds = 0;
  std::string from;  // "--source-date-epoch", "environment", "default (0)"
};

// --source-date-epoch, else $SOURCE_DATE_EPOCH, else 0. Throws Error for a value that is not a
// non-negative integer, naming where it came from.
SourceDateEpoch ResolveSourceDateEpoch(const std::optional<std::string>& flag, const char* env_value);

}  // namespace cairn::builder
