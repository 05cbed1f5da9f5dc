// Git checkouts as git stores them: when the build context is (inside) a git work tree, a
// tracked file's mode in the image is the one git records (0644, or 0755 when executable) and
// every directory holding tracked files is 0755, so the checkout's umask (git writes 0664/0775
// under umask 002) never reaches the image. Untracked files keep their own mode. Times are not
// git's business: every context file already takes the layer epoch (builder/copy.h).
//
// Edge cases, by rule:
//   - a context that is a subdirectory of the repository: paths are taken relative to it;
//   - a tracked file modified in the work tree: still git's mode (the index entry's), whatever
//     its content or a chmod not yet added;
//   - a submodule that is checked out: its files are tracked by its own repository and get that
//     index's modes; a submodule not checked out is an empty directory (0755).
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <set>
#include <string>

struct git_tree;  // libgit2's

namespace cairn::builder {

class GitModes {
 public:
  // Reads the index of the repository whose work tree holds context_dir (and those of its
  // checked-out submodules). Outside a work tree (no repository, a bare one, unreadable) the
  // result has no rule: ModeOf always says nullopt.
  static GitModes ForContext(const std::string& context_dir);

  // The same rule for a checkout of a commit (builder/git_source.h), read from the tree that is
  // the checkout's root: blobs as the index records them, a submodule an empty directory.
  static GitModes ForTree(git_tree* tree);

  // The permission bits the context entry at rel ("." = the context itself; '/'-separated, as
  // COPY walks it) takes in the image, or nullopt to keep its own.
  std::optional<mode_t> ModeOf(const std::string& rel, mode_t st_mode) const;

  bool empty() const { return files_.empty() && dirs_.empty(); }

 private:
  void AddRepository(const std::string& dir, const std::string& context_prefix, int depth);
  void AddTracked(const std::string& rel, bool executable);
  void AddDir(const std::string& rel);
  void AddParents(const std::string& rel);

  std::map<std::string, bool> files_;  // context-relative path -> executable
  std::set<std::string> dirs_;         // context-relative directories that hold tracked entries
};

}  // namespace cairn::builder
