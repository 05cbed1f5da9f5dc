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

// Expands one pattern component by component (Go filepath.Glob semantics, via fnmatch).
static void Glob(const std::string& root, const std::string& prefix, const std::vector<std::string>& parts,
                 size_t i, std::vector<std::string>& out) {
  if (i == parts.size()) {
    out.push_back(prefix.empty() ? "." : prefix);
    return;
  }
  const std::string& part = parts[i];
  std::string dir = prefix.empty() ? root : JoinPath(root, prefix);
  if (!HasWildcard(part)) {
    std::string next = prefix.empty() ? part : prefix + "/" + part;
    if (PathExists(JoinPath(root, next))) Glob(root, next, parts, i + 1, out);
    return;
  }
  if (!IsDirectory(dir)) return;
  for (auto& name : ListDir(dir)) {
    if (::fnmatch(part.c_str(), name.c_str(), FNM_PATHNAME) != 0) continue;
    Glob(root, prefix.empty() ? name : prefix + "/" + name, parts, i + 1, out);
  }
}

std::vector<std::string> MatchSources(const std::string& src_root, const std::vector<std::string>& patterns,
                                      const frontend::IgnoreMatcher* ignore) {
  std::vector<std::string> matched;
  for (auto& pattern : patterns) {
    std::string clean = CleanPath("/" + pattern).substr(1);  // "/" + p: ".." can never climb out
    std::vector<std::string> parts;
    for (size_t i = 0; i < clean.size();) {
      size_t j = clean.find('/', i);
      if (j == std::string::npos) j = clean.size();
      parts.push_back(clean.substr(i, j - i));
      i = j + 1;
    }
    std::vector<std::string> found;
    Glob(src_root, "", parts, 0, found);
    found.erase(std::remove_if(found.begin(), found.end(), [&](auto& p) { return Ignored(ignore, p); }), found.end());
    if (found.empty())
      throw Error("\"" + pattern + "\": not found in " + src_root +
                  " (is it excluded by .dockerignore, or outside the build context?)");
    matched.insert(matched.end(), found.begin(), found.end());
  }
  return matched;
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
    if (S_ISDIR(st.st_mode)) {
      for (auto& name : ListDir(path)) {
        std::string child = rel == "." ? name : rel + "/" + name;
        if (!Ignored(ignore, child)) Entry(child);
      }
    }
    h.Update("\n", 1);
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

  void Owner(const std::string& dst, const struct stat& src) {
    uid_t uid = req.preserve_owner ? src.st_uid : 0;
    gid_t gid = req.preserve_owner ? src.st_gid : 0;
    if (req.uid) uid = *req.uid;
    if (req.gid) gid = *req.gid;
    if (::lchown(dst.c_str(), uid, gid) != 0) throw SysError("chown", dst);
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
      if (Ignored(req.ignore, rel) || Ignored(req.exclude, rel)) continue;
      CopyEntry(JoinPath(src, name), rel, JoinPath(dst, name), /*follow=*/false);
    }
  }

  void CopyEntry(const std::string& src, const std::string& src_rel, const std::string& dst, bool follow) {
    struct stat st;
    if ((follow ? ::stat(src.c_str(), &st) : ::lstat(src.c_str(), &st)) != 0) throw SysError("stat", src);
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
    } else {
      throw Error("copy " + src_rel + ": only regular files, directories and symlinks can be copied");
    }
  }
};

// mkdir -p for a resolved host path below root; new directories 0755, owned by uid:gid.
void MakeResolvedDirs(const std::string& root, const std::string& resolved, uint32_t uid, uint32_t gid) {
  if (IsDirectory(resolved)) return;
  std::string parent = resolved.substr(0, resolved.rfind('/'));
  if (parent.size() > root.size()) MakeResolvedDirs(root, parent, uid, gid);
  if (::mkdir(resolved.c_str(), 0755) != 0 && errno != EEXIST) throw SysError("mkdir", resolved);
  if (::chmod(resolved.c_str(), 0755) != 0) throw SysError("chmod", resolved);  // whatever the umask
  if (::lchown(resolved.c_str(), uid, gid) != 0) throw SysError("chown", resolved);
}

// Destination parents are created as BuildKit does: owned by the --chown user, else root.
void MakeParents(const CopyRequest& req, const std::string& resolved) {
  MakeResolvedDirs(req.dst_root, resolved, req.uid.value_or(0), req.gid.value_or(0));
}

}  // namespace

static void WriteInlineFile(const CopyRequest& req, const std::string& path, const std::string& content) {
  MakeParents(req, path.substr(0, path.rfind('/')));
  WriteFileAtomic(path, content, 0644);
  if (::lchown(path.c_str(), req.uid.value_or(0), req.gid.value_or(0)) != 0) throw SysError("chown", path);
  if (req.chmod && ::chmod(path.c_str(), req.chmod->Apply(0644, false)) != 0) throw SysError("chmod", path);
}

void ExecuteCopy(const CopyRequest& req) {
  Copier copier{req, {}};
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
    Copier{req, {}}.CopyFile(path, target, st);
  }
  for (auto& rel : req.sources) {
    if (Ignored(req.exclude, rel)) continue;
    std::string src = ResolveInRoot(req.src_root, rel);
    struct stat st;
    if (::stat(src.c_str(), &st) != 0) throw SysError("stat", src);
    std::string src_rel = src.size() > req.src_root.size() ? src.substr(req.src_root.size() + 1) : ".";
    if (req.parents) {
      // --parents keeps the source's directories: "a/b/c.txt" -> <dest>/a/b/c.txt.
      std::string target = rel == "." ? dest : JoinPath(dest, rel);
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
      ExtractArchiveInto(src, dest);
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
