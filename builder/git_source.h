// Git sources, as BuildKit reads them: a build context, a --build-context or an ADD source that
// names a git repository (`https://host/repo.git#ref:subdir`, `git://...`, `ssh://...`,
// `git@host:repo.git#ref`) is a checkout of one commit, never a downloaded file. The clone is
// the caller's (BuildOptions::fetch_git, cli/git_clone.h), as downloads are: the builder never
// talks to the network. What a checkout gives the build:
//   - its files, without .git; with ADD --keep-git-dir, a .git written canonically (a shallow
//     repository of the commit with no stat data, reflogs or time-dependent files), so two clones
//     give the same layer (cli/git_keep_dir.h);
//   - git's modes (builder/git_modes.h), from the commit's tree, so a clone and a local checkout of
//     the same commit give the same layers;
//   - the commit's committer time, the image epoch of a git build context (builder/epoch.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "builder/git_modes.h"

namespace cairn::builder {

// Whether text names a git repository: git's schemes (git://, ssh://, git+ssh://), the scp-like
// git@host:path form, or http(s) whose path ends in ".git" (BuildKit's rule).
bool IsGitUrl(const std::string& text);

struct GitUrl {
  std::string remote;   // what is cloned: the URL without its #fragment
  std::string ref;      // branch, tag, full ref or commit (hex); empty = the remote's HEAD
  std::string subdir;   // the directory of the checkout that is the source; empty = its root
  std::string display;  // the URL for messages: userinfo of http(s) URLs removed
  bool keep_git_dir = false;  // ADD --keep-git-dir: the checkout keeps a canonical .git (cli/git_keep_dir.h)
};

// "URL#ref:subdir" -> its parts. Throws Error naming the URL: no repository, a subdir that
// leaves the checkout ("..") or is absolute.
GitUrl ParseGitUrl(const std::string& text);

// text with the userinfo of a URL ("https://user:token@host/...") removed: what messages show.
std::string RedactUrl(const std::string& text);

struct GitCheckout {
  std::string dir;       // the checked-out files of the subdir (no .git), in a scratch dir
  std::string commit;    // 40 hex digits
  int64_t commit_time = 0;  // committer time, seconds since 1970
  std::string display;   // GitUrl::display
  // Shared: the same checkout is read by the step's cache key and its copy.
  std::shared_ptr<const GitModes> modes;  // git's modes of dir's entries (GitModes::ForTree)
};

// Clones url and checks out its ref into dir (an empty scratch directory the caller owns and
// removes). Throws Error naming url.display: unreachable, no such ref, no such subdir.
using GitFetcher = std::function<GitCheckout(const GitUrl& url, const std::string& dir)>;

// ADD --checksum=<commit> of a git source: a hex prefix (at least 7 digits) of the commit.
// Throws Error naming the URL when checksum is not hex or the commit does not start with it.
void CheckGitChecksum(const GitCheckout& checkout, const std::string& checksum);

}  // namespace cairn::builder
