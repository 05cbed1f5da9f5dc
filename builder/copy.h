// COPY and ADD of local files: docker's rules for sources, destinations and metadata.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "builder/chmod_spec.h"

namespace cairn::frontend {
class IgnoreMatcher;
}

namespace cairn::builder {

class ContextIndex;
class GitModes;

// Matches COPY source patterns against src_root. A pattern is a path relative to src_root
// (a leading '/' and "../" never leave it) with Go filepath.Match wildcards in any component.
// Returns the matched paths (relative, cleaned, sorted). Paths the ignore matcher excludes are
// never matched. Symlinks in src_root resolve within it. A wildcard that matches nothing is
// skipped when another pattern matches something (always with `parents`, COPY --parents), as in
// BuildKit. Throws Error naming the pattern: a literal path that is missing, or nothing matched.
std::vector<std::string> MatchSources(const std::string& src_root, const std::vector<std::string>& patterns,
                                      const frontend::IgnoreMatcher* ignore, bool parents = false);

// The content digest of matched sources for the step cache: every entry below them (path,
// type, mode, size, content or link target; never mtime, uid/gid of the context nor inode),
// in sorted order. Ignored paths do not count. With an index, regular files whose stat is
// unchanged are not read again (same digest either way). With entries, every entry's
// "mode size content-digest-or-link-target" is also listed by path (to explain cache misses).
// With git_modes, the mode is the one the copy will give (builder/git_modes.h), so two checkouts
// of one commit under different umasks share the key.
std::string DigestSources(const std::string& src_root, const std::vector<std::string>& matched,
                          const frontend::IgnoreMatcher* ignore, ContextIndex* index = nullptr,
                          std::map<std::string, std::string>* entries = nullptr,
                          const GitModes* git_modes = nullptr);

struct CopyRequest {
  std::string src_root;              // where sources live (context dir, or another stage's root)
  std::vector<std::string> sources;  // MatchSources output
  std::string dst_root;              // the mounted root written into
  std::string dest;                  // absolute path in dst_root
  bool dest_is_dir = false;          // the Dockerfile wrote a trailing '/'
  std::optional<uint32_t> uid, gid;  // --chown; files are root-owned otherwise
  std::optional<ChmodSpec> chmod;    // --chmod (octal, or symbolic relative to each source)
  const frontend::IgnoreMatcher* ignore = nullptr;
  bool preserve_owner = false;       // COPY --from keeps the source's uid/gid (as BuildKit does)
  const frontend::IgnoreMatcher* exclude = nullptr;  // --exclude patterns, relative to src_root
  bool parents = false;              // --parents: keep each source's directories below src_root
  bool extract_archives = false;     // ADD: a local tar source is unpacked into dest
  // When set, every copied entry gets this mtime instead of its source's. Used for the build
  // context: its file times come from a checkout, not from the inputs, so they must not reach
  // the image (a re-touched context gives the same image).
  std::optional<int64_t> fixed_mtime;
  // The build context's git rule (builder/git_modes.h): tracked entries take git's mode before
  // --chmod applies. Null for other sources.
  const GitModes* git_modes = nullptr;
  // Heredoc sources (COPY <<EOF dest): name -> content, written as files with mode 0644.
  std::vector<std::pair<std::string, std::string>> inline_files;
  // ADD <url> sources, already downloaded: file name (from the URL; empty: dest must name the
  // file) -> downloaded host file. As
  // docker writes them: mode 0600 unless --chmod, owner 0:0 unless --chown, never unpacked.
  std::vector<std::pair<std::string, std::string>> fetched_files;
};

// Copies per docker's rules: a directory source copies its contents; a file goes to dest, or
// into dest when dest is a directory (written with '/', existing, or several sources). Missing
// parent directories are created 0755. Symlinks are copied as links; hardlinks within one copy are
// kept. Meant to run inside WithMountedStacks.
void ExecuteCopy(const CopyRequest& request);

// mkdir -p of an absolute path inside root (symlinks resolved within root); directories it
// creates are 0755 and owned by uid:gid, as WORKDIR and COPY create them.
void MakeDirInRoot(const std::string& root, const std::string& path, uint32_t uid, uint32_t gid);

}  // namespace cairn::builder
