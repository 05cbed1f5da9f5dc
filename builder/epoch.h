// SOURCE_DATE_EPOCH: the one clock a build may read. Every mtime in a new layer is clamped to it,
// and the config's `created` and every new history entry carry it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cairn::builder {

struct SourceDateEpoch {
  int64_t seconds = 0;
  std::string from;  // "--source-date-epoch", "environment", "git HEAD of <dir>", "default (0)"
};

// The rule, in order: --source-date-epoch, else $SOURCE_DATE_EPOCH, else the commit time of the
// git HEAD of the repository holding `context_dir`, else 0. Each source gives the same answer on
// every machine that has the same inputs; the wall clock is never read. Throws Error for a value
// that is not a non-negative integer, naming where it came from.
SourceDateEpoch ResolveSourceDateEpoch(const std::optional<std::string>& flag, const char* env_value,
                                       const std::string& context_dir = "");

// The committer time of HEAD of the git repository containing dir, or nullopt (no repository,
// no commit yet, unreadable).
std::optional<int64_t> GitHeadCommitTime(const std::string& dir);

}  // namespace cairn::builder
