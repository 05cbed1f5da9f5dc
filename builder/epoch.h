// SOURCE_DATE_EPOCH: the only clocks a build may read. Two of them (DESIGN: "Two epochs"), so that
// a new commit does not defeat the step cache:
//   - the layer epoch clamps every file time in a new layer and is what RUN sees as
//     $SOURCE_DATE_EPOCH; it is part of every step's cache key, so it must not change with every
//     commit: the explicit value, else 0.
//   - the image epoch is the config's `created` and every new history entry's: the explicit value,
//     else the commit time of the context's git HEAD, else 0. It is in no cache key.
// The explicit value is, in order: --source-date-epoch, $SOURCE_DATE_EPOCH, --build-arg
// SOURCE_DATE_EPOCH, the default of a global `ARG SOURCE_DATE_EPOCH=N` (BuildKit's rule).
// The wall clock is never read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cairn::builder {

struct SourceDateEpoch {
  int64_t seconds = 0;
  std::string from;  // "--source-date-epoch", "environment", "git HEAD of <dir>", "default (0)", ...
};

struct Epochs {
  SourceDateEpoch layer;  // clamps file times; $SOURCE_DATE_EPOCH in RUN; in the step cache key
  SourceDateEpoch image;  // config `created` and new history entries; in no key
};

// Whole seconds since 1970 from text; throws Error naming `from` (e.g. "Dockerfile:1") otherwise.
int64_t ParseSourceDateEpoch(const std::string& text, const std::string& from);

// The explicit epoch the caller gave: --source-date-epoch, else a non-empty $SOURCE_DATE_EPOCH,
// else nullopt. Throws Error for a value that is not a non-negative integer, naming its source.
std::optional<SourceDateEpoch> ExplicitSourceDateEpoch(const std::optional<std::string>& flag, const char* env_value);

// The two-epoch rule above: an explicit epoch sets both; without one, layer = 0 and image = the
// git HEAD commit time of the repository holding context_dir (0 outside git).
Epochs ResolveEpochs(const std::optional<SourceDateEpoch>& explicit_epoch, const std::string& context_dir);

// One epoch for things that are not builds (cairn import): the explicit epoch, else the git HEAD
// of context_dir when given, else 0.
SourceDateEpoch ResolveSourceDateEpoch(const std::optional<std::string>& flag, const char* env_value,
                                       const std::string& context_dir = "");

// The committer time of HEAD of the git repository containing dir, or nullopt (no repository,
// no commit yet, unreadable).
std::optional<int64_t> GitHeadCommitTime(const std::string& dir);

}  // namespace cairn::builder
