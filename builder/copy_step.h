// Executing a COPY/ADD or WORKDIR step that missed the cache: turning the step's action into a
// CopyRequest (builder/copy.h) against its mounted trees. Nothing here reads the cache or the
// store: the build resolves every input first (CopyStepInputs).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "builder/fetch_url.h"
#include "runtime/runtime.h"
#include "frontend/dockerignore.h"
#include "plan/plan.h"

namespace cairn::builder {

class GitModes;

struct CopyStepInputs {
  runtime::OverlayDirs target;  // the step's tree: the parent's layers, its upper and work dirs
  std::string scratch;          // the step's scratch dir (mount points)
  std::string context_dir;
  const frontend::IgnoreMatcher* ignore = nullptr;  // the context's .dockerignore, if any
  // --from's unpacked layers (top-most first); nullopt: the sources are in the build context.
  std::optional<std::vector<std::string>> from_layers;
  int64_t source_date_epoch = 0;  // the mtime of files copied from the context (the layer epoch)
  const GitModes* git_modes = nullptr;  // the context's git modes (builder/git_modes.h)
};

// ADD of a URL whose scheme is not http(s) is an Error naming the line (checked before anything is
// downloaded).
void CheckUrlSchemes(const plan::Step& step, const plan::CopyAction& copy);

// Writes the COPY/ADD into in.target's upper dir, through rt's trees. `fetched` are the step's ADD <url> downloads.
// Throws Error prefixed with the step's line ("Dockerfile:3: COPY a b: ...").
void ExecuteCopyStep(const plan::Step& step, const plan::CopyAction& copy, const CopyStepInputs& in,
                     const std::vector<FetchedUrl>& fetched, runtime::Runtime& rt);

// WORKDIR: makes the directory (owned by the config's user) in target's upper dir when missing.
void ExecuteMkdirStep(const plan::Step& step, const plan::MkdirAction& mk, const runtime::OverlayDirs& target,
                      const std::string& scratch, runtime::Runtime& rt);

}  // namespace cairn::builder
