// ADD --keep-git-dir: the checkout keeps a .git directory, written canonically so that two clones
// of one commit give the same bytes (and the same layer): a shallow repository of that commit
// alone, as BuildKit's depth-1 fetch has it —
//   HEAD        "ref: refs/heads/B" when the ref is branch B (or the remote's HEAD is), else the commit
//   config      core settings and remote "origin" (the URL without its credentials), branch B's upstream
//   packed-refs refs/heads/B (no loose refs, no FETCH_HEAD, ORIG_HEAD, logs or reflogs)
//   shallow     the commit (its parents are not fetched)
//   index       the commit's tree with no stat data (git refreshes it: `git status` is clean)
//   objects/    the commit, its trees and blobs as loose objects (zlib's default level)
// Files 0644 (objects 0444, as git writes them), directories 0755, whatever the umask; times are
// the layer's, as for every file ADD copies.
#pragma once

#include <string>

#include <git2.h>

#include "builder/git_source.h"

namespace cairn::cli {

// Writes dir/.git for commit of repo (the bare clone). branch: "" for a detached HEAD. Throws
// Error naming url.display.
void WriteCanonicalGitDir(git_repository* repo, git_commit* commit, const std::string& branch, const builder::GitUrl& url,
                          const std::string& dir);

}  // namespace cairn::cli
