// Per-process scratch names under <root>/tmp and the sweep of what dead processes left there.
// (Private to store/.)
#pragma once

#include <string>
#include <string_view>

namespace cairn::store {

// "<pid>.<prefix>" — the owner's pid leads every name so a later open can tell whether the
// owner still runs. mkdtemp/mkstemp add the random suffix.
std::string ScratchPrefix(std::string_view prefix);

// Removes every entry of tmp_dir whose owner pid no longer runs. Best effort: an entry that
// cannot be removed (e.g. a mount a crashed build left behind) is kept and skipped; opening the
// store must not fail because of litter.
void SweepDeadScratch(const std::string& tmp_dir);

// A fresh directory tmp_dir/<pid>.<prefix>XXXXXX.
std::string MakeScratchDir(const std::string& tmp_dir, std::string_view prefix);

}  // namespace cairn::store
