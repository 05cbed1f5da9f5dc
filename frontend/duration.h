// Go durations ("1m30s", "5m", "0") as HEALTHCHECK options use them, and their String() form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::frontend {

// time.ParseDuration. Returns false on bad syntax or overflow.
bool ParseGoDuration(std::string_view text, int64_t& ns);
// time.Duration.String(): 0 -> "0s", 90s -> "1m30s", 1.5s -> "1.5s".
std::string FormatGoDuration(int64_t ns);

}  // namespace cairn::frontend
