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

// Rule: speed only, never a byte of output. Asks the file system to spread the directories made
// in tmp_dir (every step's upper dir, every layer unpacked or adopted) over its block groups:
// ext4's top-directory hint (FS_TOPDIR_FL, as chattr +T sets it), which makes its Orlov allocator
// place each new subdirectory in a lightly used group instead of beside tmp_dir. Why: ext4 without
// a journal checks every free inode of a group for a deletion in the last minutes before reusing
// it (recently_deleted in fs/ext4/ialloc.c), and the groups around tmp_dir are full of the inodes
// earlier steps freed; there unpacking a 10,000-file base took 10.1 s, spread 1.6 s. Best effort:
// a file system without the flag (tmpfs, overlayfs, xfs) or a refusal leaves tmp_dir as it was.
void SpreadScratchDirs(const std::string& tmp_dir);

// A fresh directory tmp_dir/<pid>.<prefix>XXXXXX.
std::string MakeScratchDir(const std::string& tmp_dir, std::string_view prefix);

}  // namespace cairn::store
