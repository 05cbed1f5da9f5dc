#include "builder/copy.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/owner.h"
#include "base/path.h"
#include "builder/add_archive.h"
#include "builder/context_index.h"
#include "builder/git_modes.h"
#include "builder/path_in_root.h"
#include "frontend/dockerignore.h"

namespace cairn::builder {

static bool HasWildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

static bool Ignored(const frontend::IgnoreMatcher* ignore, const std::string& rel) {
  return ignore && rel != "." && ignore->Excluded(rel);
}

// Expands one pattern component by component (Go filepath.Glob semantics, via fnmatch). Every
// lookup resolves within root, so a symlink in a stage ("/sub" -> "/real") leads to the stage's
// own "/real", never the host's.
// With globstar (COPY --parents, as BuildKit's include patterns), a "**" component matches any
// number of directories, none included.
static void Glob(const std::string& root, const std::string& prefix, const std::vector<std::string>& parts,
                 size_t i, std::vector<std::string>& out, bool globstar = false) {
  if (i == parts.size()) {
    out.push_back(prefix.empty() ? "." : prefix);
    return;
  }
  const std::string& part = parts[i];
  if (globstar && part == "**") {
    Glob(root, prefix, parts, i + 1, out, globstar);  // no directory at all
    std::string dir = prefix.empty() ? root : ResolveInRoot(root, prefix);
    if (!IsDirectory(dir)) return;
    for (auto& name : ListDir(dir)) {
      std::string next = prefix.empty() ? name : prefix + "/" + name;
      if (IsDirectory(ResolveInRoot(root, next))) Glob(root, next, parts, i, out, globstar);  // one more
      else if (i + 1 == parts.size()) out.push_back(next);  // a trailing "**" matches files too
    }
    return;
  }
  if (!HasWildcard(part)) {
    std::string next = prefix.empty() ? part : prefix + "/" + part;
    struct stat st;
    if (::lstat(ResolveInRoot(root, next, /*follow_last=*/false).c_str(), &st) == 0) Glob(root, next, parts, i + 1, out, globstar);
    return;
  }
  std::string dir = prefix.empty() ? root : ResolveInRoot(root, prefix);
  if (!IsDirectory(dir)) return;
  for (auto& name : ListDir(dir)) {
    if (::fnmatch(part.c_str(), name.c_str(), FNM_PATHNAME) != 0) continue;
    Glob(root, prefix.empty() ? name : prefix + "/" + name, parts, i + 1, out, globstar);
  }
}

static std::vector<std::string> Components(const std::string& clean) {
  std::vector<std::string> parts;
  if (clean.empty() || clean == ".") return parts;
  for (size_t i = 0; i < clean.size();) {
    size_t j = clean.find('/', i);
    if (j == std::string::npos) j = clean.size();
    parts.push_back(clean.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

// COPY --parents "x/./y/*.txt": the "/./" pivot says which leading directories are not kept.
// The matches (cleaned, so their first components are the pivot's) get the "/./" back after
// them, for ExecuteCopy to split: "x/y/a.txt" -> "x/./y/a.txt".
static void MarkPivot(const std::string& pattern, std::vector<std::string>& found) {
  std::string raw = pattern;
  while (raw.rfind("./", 0) == 0 || raw.rfind("/", 0) == 0) raw.erase(0, raw[0] == '/' ? 1 : 2);
  size_t pivot = raw.find("/./");
  if (pivot == std::string::npos || raw.substr(0, pivot).find("**") != std::string::npos) return;
  size_t keep = Components(CleanPath("/" + raw.substr(0, pivot)).substr(1)).size();
  for (auto& f : found) {
    std::vector<std::string> parts = Components(f);
    if (parts.size() < keep) continue;
    std::string head, tail;
    for (size_t i = 0; i < parts.size(); i++) {
      std::string& to = i < keep ? head : tail;
      to += (to.empty() ? "" : "/") + parts[i];
    }
    f = (head.empty() ? "." : head) + "/./" + (tail.empty() ? "." : tail);
  }
}

static std::string NotFound(const std::string& pattern, const std::string& src_root) {
  return "\"" + pattern + "\": not found in " + src_root +
         " (is it excluded by .dockerignore, or outside the build context?)";
}

std::vector<std::string> MatchSources(const std::string& src_root, const std::vector<std::string>& patterns,
                                      const frontend::IgnoreMatcher* ignore, bool parents) {
  std::vector<std::string> matched;
  std::string first_empty;  // the first wildcard that matched nothing
  for (auto& pattern : patterns) {
    std::string clean = CleanPath("/" + pattern).substr(1);  // "/" + p: ".." can never climb out
    std::vector<std::string> parts = Components(clean);
    std::vector<std::string> found;
    Glob(src_root, "", parts, 0, found, parents);
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    found.erase(std::remove_if(found.begin(), found.end(), [&](auto& p) { return Ignored(ignore, p); }), found.end());
    if (parents) MarkPivot(pattern, found);
    if (found.empty() && !HasWildcard(pattern)) throw Error(NotFound(pattern, src_root));
    if (found.empty() && first_empty.empty()) first_empty = pattern;
    matched.insert(matched.end(), found.begin(), found.end());
  }
  // BuildKit's rule: a wildcard matching nothing is skipped when other sources match (and
  // always under --parents); a COPY that would copy nothing at all is an error.
  if (matched.empty() && !first_empty.empty() && !parents) throw Error(NotFound(first_empty, src_root));
  return matched;
}

static bool IsRealDirectory(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// --- digest ---

namespace {

// Walks matched sources in sorted order, feeding one hasher (the cache key's input) and, when
// asked, a per-entry list (only for explaining cache misses).
struct SourceHasher {
  const std::string& root;
  const frontend::IgnoreMatcher* ignore;
  ContextIndex* index;
  std::map<std::string, std::string>* entries;
  const GitModes* git_modes;
  Sha256 h;

  void Entry(const std::string& rel) {
    std::string path = rel == "." ? root : JoinPath(root, rel);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) throw SysError("stat", path);
    mode_t mode = st.st_mode;  // as the copy will write it
    if (git_modes)
      if (auto m = git_modes->ModeOf(rel, st.st_mode)) mode = (st.st_mode & S_IFMT) | *m;
    std::string header = rel + '\0' + std::to_string(mode) + '\0' + std::to_string(st.st_size) + '\0';
    h.Update(header);
    std::string content;
    if (S_ISREG(st.st_mode)) {
      content = index ? index->FileDigest(path, st) : DigestOfFile(path);
    } else if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
      if (n > 0) content.assign(buf, static_cast<size_t>(n));
    }
    h.Update(content);
    if (entries) (*entries)[rel] = std::to_string(mode) + " " + std::to_string(st.st_size) + " " + content;
    if (S_ISDIR(st.st_mode)) Children(path, rel);
    h.Update("\n", 1);
  }

  void Children(const std::string& path, const std::string& rel) {
    for (auto& name : ListDir(path)) {
      std::string child = rel == "." ? name : rel + "/" + name;
      if (!Ignored(ignore, child)) {
        Entry(child);
      } else if (ignore->has_exceptions() && IsRealDirectory(JoinPath(path, name))) {
        Children(JoinPath(path, name), child);  // "!dir/keep" may bring back entries below
      }
    }
  }
};

}  // namespace

std::string DigestSources(const std::string& src_root, const std::vector<std::string>& matched,
                          const frontend::IgnoreMatcher* ignore, ContextIndex* index,
                          std::map<std::string, std::string>* entries, const GitModes* git_modes) {
  SourceHasher hasher{src_root, ignore, index, entries, git_modes, {}};
  for (auto& rel : matched) {
    // The source path itself is followed when it is a symlink, but only inside the root.
    std::string resolved = ResolveInRoot(src_root, rel);
    std::string resolved_rel = resolved.size() > src_root.size() ? resolved.substr(src_root.size() + 1) : ".";
    hasher.h.Update(rel + "\n");
    hasher.Entry(resolved_rel);
  }
  return hasher.h.Finish();
}

// --- copying ---

namespace {

// copy_file_range where the kernel can (same file system: reflinks, no copies through user
// space); a plain read/write loop where it cannot (EXDEV between the context and an overlay).
void CopyData(int in, int out, off_t size, const std::string& dst) {
  off_t left = size;
  while (left > 0) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) break;
    if (n < 0) throw SysError("copy to", dst);
    if (n == 0) return;
    left -= n;
  }
  static thread_local char buf[1 << 17];
  while (left > 0) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read for copy to", dst);
    if (n == 0) return;
    WriteAll(out, buf, static_cast<size_t>(n), dst);
    left -= n;
  }
}

struct Copier {
  const CopyRequest& req;
  std::map<std::pair<dev_t, ino_t>, std::string> hardlinks;  // source inode -> first dest path
  std::string exclude_base;  // the source being copied: --exclude patterns match below it

  // BuildKit's rule: --exclude patterns are relative to each source ("--exclude=*.md docs"
  // leaves out docs/a.md), not to the context root.
  bool Excluded(const std::string& rel) const {
    if (!req.exclude) return false;
    if (exclude_base.empty() || exclude_base == ".") return Ignored(req.exclude, rel);
    if (rel.size() <= exclude_base.size() || rel.compare(0, exclude_base.size() + 1, exclude_base + "/") != 0)
      return false;
    return Ignored(req.exclude, rel.substr(exclude_base.size() + 1));
  }

  void Owner(const std::string& dst, const struct stat& src) {
    uid_t uid = req.preserve_owner ? src.st_uid : 0;
    gid_t gid = req.preserve_owner ? src.st_gid : 0;
    if (req.uid) uid = *req.uid;
    if (req.gid) gid = *req.gid;
    SetOwner(dst, uid, gid);
  }

  void Times(const std::string& dst, const struct stat& src) {
    struct timespec ts[2] = {src.st_atim, src.st_mtim};
    if (req.fixed_mtime) ts[0] = ts[1] = {static_cast<time_t>(*req.fixed_mtime), 0};
    if (::utimensat(AT_FDCWD, dst.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) throw SysError("set times on", dst);
  }

  mode_t Mode(const struct stat& src) {
    return req.chmod ? req.chmod->Apply(src.st_mode, S_ISDIR(src.st_mode)) : (src.st_mode & 07777);
  }

  void CopyFile(const std::string& src, const std::string& dst, const struct stat& st) {
    auto key = std::make_pair(st.st_dev, st.st_ino);
    if (st.st_nlink > 1) {
      auto it = hardlinks.find(key);
      if (it != hardlinks.end()) {
        ::unlink(dst.c_str());
        if (::link(it->second.c_str(), dst.c_str()) != 0) throw SysError("link", dst);
        return;
      }
      hardlinks[key] = dst;
    }
    UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!in) throw SysError("open", src);
    if (PathExists(dst) && !IsDirectory(dst)) ::unlink(dst.c_str());
    UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!out) throw SysError("create", dst);
    CopyData(in.get(), out.get(), st.st_size, dst);
    Owner(dst, st);
    if (::fchmod(out.get(), Mode(st)) != 0) throw SysError("chmod", dst);
    out.Reset();
    Times(dst, st);
  }

  // A socket in the context becomes an empty regular file with its mode, as BuildKit copies it:
  // a socket cannot carry data into an image, and failing the COPY helps nobody.
  void CopyEmptyFile(const std::string& dst, const struct stat& st) {
    if (PathExists(dst) && !IsDirectory(dst)) ::unlink(dst.c_str());
    UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!out) throw SysError("create", dst);
    Owner(dst, st);
    if (::fchmod(out.get(), Mode(st)) != 0) throw SysError("chmod", dst);
    out.Reset();
    Times(dst, st);
  }

  void CopySymlink(const std::string& src, const std::string& dst, const struct stat& st) {
    char buf[4096];
    ssize_t n = ::readlink(src.c_str(), buf, sizeof buf - 1);
    if (n < 0) throw SysError("readlink", src);
    buf[n] = 0;
    if (PathExists(dst)) RemoveAll(dst);
    if (::symlink(buf, dst.c_str()) != 0) throw SysError("symlink", dst);
    Owner(dst, st);
    Times(dst, st);
  }

  // dst is a directory path (resolved); copies the contents of src dir into it.
  void CopyDirContents(const std::string& src, const std::string& src_rel, const std::string& dst) {
    for (auto& name : ListDir(src)) {
      std::string rel = src_rel == "." ? name : src_rel + "/" + name;
      if (Excluded(rel)) continue;
      if (Ignored(req.ignore, rel)) {
        CopyReincluded(JoinPath(src, name), rel, JoinPath(dst, name), [] {});
        continue;
      }
      CopyEntry(JoinPath(src, name), rel, JoinPath(dst, name), /*follow=*/false);
    }
  }

  // An excluded directory still gives the entries a .dockerignore "!" exception brings back
  // (docker's rule), with the directories on their way made as the source's; nothing else.
  void CopyReincluded(const std::string& src, const std::string& src_rel, const std::string& dst,
                      const std::function<void()>& make_parent) {
    struct stat st;
    if (!req.ignore || !req.ignore->has_exceptions() || ::lstat(src.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    bool made = false;
    auto make_dir = [&] {
      if (made) return;
      make_parent();
      if (::mkdir(dst.c_str(), 0700) != 0 && errno != EEXIST) throw SysError("mkdir", dst);
      Owner(dst, st);
      if (::chmod(dst.c_str(), Mode(st)) != 0) throw SysError("chmod", dst);
      made = true;
    };
    for (auto& name : ListDir(src)) {
      std::string rel = src_rel + "/" + name;
      if (Excluded(rel)) continue;
      if (Ignored(req.ignore, rel)) {
        CopyReincluded(JoinPath(src, name), rel, JoinPath(dst, name), make_dir);
        continue;
      }
      make_dir();
      CopyEntry(JoinPath(src, name), rel, JoinPath(dst, name), /*follow=*/false);
    }
    if (made) Times(dst, st);
  }

  void CopyEntry(const std::string& src, const std::string& src_rel, const std::string& dst, bool follow) {
    struct stat st;
    if ((follow ? ::stat(src.c_str(), &st) : ::lstat(src.c_str(), &st)) != 0) throw SysError("stat", src);
    ApplyRecordedOwner(src, st);  // COPY --from keeps the source's owner
    if (req.git_modes)  // git's mode, not the checkout's (builder/git_modes.h)
      if (auto m = req.git_modes->ModeOf(src_rel, st.st_mode)) st.st_mode = (st.st_mode & S_IFMT) | *m;
    if (S_ISDIR(st.st_mode)) {
      struct stat dst_st;
      if (::lstat(dst.c_str(), &dst_st) != 0) {
        if (::mkdir(dst.c_str(), 0700) != 0) throw SysError("mkdir", dst);
        Owner(dst, st);
        if (::chmod(dst.c_str(), Mode(st)) != 0) throw SysError("chmod", dst);
      } else if (!S_ISDIR(dst_st.st_mode)) {
        throw Error("copy " + src_rel + ": destination " + dst + " exists and is not a directory");
      }
      CopyDirContents(src, src_rel, dst);
      Times(dst, st);
    } else if (S_ISLNK(st.st_mode)) {
      CopySymlink(src, dst, st);
    } else if (S_ISREG(st.st_mode)) {
      CopyFile(src, dst, st);
    } else if (S_ISSOCK(st.st_mode)) {
      CopyEmptyFile(dst, st);
    } else {
      throw Error("copy " + src_rel + ": only regular files, directories and symlinks can be copied");
    }
  }
};

// mkdir -p for a resolved host path below root; new directories get `mode` (0755 unless
// COPY --chmod), owned by uid:gid.
void MakeResolvedDirs(const std::string& root, const std::string& resolved, uint32_t uid, uint32_t gid,
                      mode_t mode = 0755) {
  if (IsDirectory(resolved)) return;
  std::string parent = resolved.substr(0, resolved.rfind('/'));
  if (parent.size() > root.size()) MakeResolvedDirs(root, parent, uid, gid, mode);
  if (::mkdir(resolved.c_str(), 0700) != 0 && errno != EEXIST) throw SysError("mkdir", resolved);
  if (::chmod(resolved.c_str(), mode) != 0) throw SysError("chmod", resolved);  // whatever the umask
  SetOwner(resolved, uid, gid);
}

// Destination parents are created as BuildKit does: owned by the --chown user, else root, with
// the --chmod mode (applied to a 0755 directory) when there is one, else 0755.
void MakeParents(const CopyRequest& req, const std::string& resolved) {
  mode_t mode = req.chmod ? req.chmod->Apply(S_IFDIR | 0755, true) : 0755;
  MakeResolvedDirs(req.dst_root, resolved, req.uid.value_or(0), req.gid.value_or(0), mode);
}

}  // namespace

static void WriteInlineFile(const CopyRequest& req, const std::string& path, const std::string& content) {
  MakeParents(req, path.substr(0, path.rfind('/')));
  WriteFileAtomic(path, content, 0644);
  SetOwner(path, req.uid.value_or(0), req.gid.value_or(0));
  if (req.chmod && ::chmod(path.c_str(), req.chmod->Apply(0644, false)) != 0) throw SysError("chmod", path);
}

void ExecuteCopy(const CopyRequest& req) {
  Copier copier{req, {}, {}};
  std::string dest = ResolveInRoot(req.dst_root, req.dest);
  size_t count = req.sources.size() + req.inline_files.size() + req.fetched_files.size();
  bool into_dir = req.dest_is_dir || count > 1 || IsDirectory(dest);
  for (auto& [name, content] : req.inline_files) WriteInlineFile(req, into_dir ? JoinPath(dest, name) : dest, content);
  for (auto& [name, path] : req.fetched_files) {
    if (into_dir && name.empty())
      throw Error("the URL's path names no file; name the file in the destination (no trailing '/')");
    std::string target = into_dir ? JoinPath(dest, name) : dest;
    MakeParents(req, target.substr(0, target.rfind('/')));
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) throw SysError("stat", path);
    st.st_mode = S_IFREG | 0600;  // docker's mode for a downloaded file; --chmod applies to it
    st.st_nlink = 1;
    Copier{req, {}, {}}.CopyFile(path, target, st);
  }
  for (auto& source : req.sources) {
    // --parents: "x/./y/a.txt" keeps the path after the "/./" pivot; without one, all of it.
    size_t pivot = source.find("/./");
    std::string rel = pivot == std::string::npos ? source : source.substr(0, pivot) + source.substr(pivot + 2);
    std::string kept = pivot == std::string::npos ? source : source.substr(pivot + 3);
    std::string src = ResolveInRoot(req.src_root, rel);
    struct stat st;
    if (::stat(src.c_str(), &st) != 0) throw SysError("stat", src);
    std::string src_rel = src.size() > req.src_root.size() ? src.substr(req.src_root.size() + 1) : ".";
    copier.exclude_base = src_rel;
    if (!S_ISDIR(st.st_mode) && req.exclude && Ignored(req.exclude, rel.substr(rel.rfind('/') + 1))) continue;
    if (req.parents) {
      // --parents keeps the source's directories: "a/b/c.txt" -> <dest>/a/b/c.txt.
      std::string target = kept == "." ? dest : JoinPath(dest, kept);
      if (S_ISDIR(st.st_mode)) {
        MakeParents(req, target);
        copier.CopyDirContents(src, src_rel, target);
      } else {
        MakeParents(req, target.substr(0, target.rfind('/')));
        copier.CopyEntry(src, src_rel, target, /*follow=*/true);
      }
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      MakeParents(req, dest);
      copier.CopyDirContents(src, src_rel, dest);
      continue;
    }
    if (req.extract_archives && IsTarArchive(src)) {
      MakeParents(req, dest);
      ExtractArchiveInto(src, req.dst_root, dest, req.uid, req.gid);
      continue;
    }
    std::string target = dest;
    if (into_dir) {
      MakeParents(req, dest);
      target = JoinPath(dest, rel.substr(rel.rfind('/') + 1));
    } else {
      MakeParents(req, dest.substr(0, dest.rfind('/')));
    }
    copier.CopyEntry(src, src_rel, target, /*follow=*/true);
  }
}

void MakeDirInRoot(const std::string& root, const std::string& path, uint32_t uid, uint32_t gid) {
  MakeResolvedDirs(root, ResolveInRoot(root, path), uid, gid);
}

}  // namespace cairn::builder
