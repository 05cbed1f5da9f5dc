#include "store/layer_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <vector>

#include "base/error.h"
#include "base/fs.h"
#include "base/overlay_marks.h"
#include "base/owner.h"
#include "store/layer.h"
#include "store/tar_rules.h"

namespace cairn::store {

namespace {

using Components = std::vector<std::string>;

// A name as bytes. In the C locale (see CLocaleScope) libarchive cannot convert a UTF-8 PAX name
// to the locale and returns NULL for it; the UTF-8 bytes are then exactly what belongs on disk.
const char* Name(const char* in_locale, const char* utf8) { return in_locale ? in_locale : utf8; }

// Splits an entry name into components; "./" prefixes and "." parts are dropped. Absolute names
// and ".." are refused rather than rewritten: an archive that has them was not made by a normal
// tool, and guessing what it meant is how extraction bugs become escapes.
Components CleanName(const std::string& raw) {
  if (!raw.empty() && raw.front() == '/') throw Error("absolute path refused");
  Components out;
  size_t i = 0;
  while (i <= raw.size()) {
    size_t j = raw.find('/', i);
    if (j == std::string::npos) j = raw.size();
    std::string part = raw.substr(i, j - i);
    if (part == "..") throw Error("\"..\" component refused");
    if (!part.empty() && part != ".") out.push_back(part);
    i = j + 1;
  }
  return out;
}

std::string Join(const Components& c, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; i++) s += (i ? "/" : "") + c[i];
  return s;
}

// Path of name inside the directory open as dirfd, usable by calls that have no *at form.
std::string ProcPath(int dirfd, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
}

class Extractor {
 public:
  Extractor(const std::string& dir, const ExtractOptions& o) : dir_(dir), o_(o) {
    root_.Reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_) throw SysError("open", dir);
    euid_root_ = ::geteuid() == 0;
  }

  void Entry(archive* a, archive_entry* e, const std::string& name) {
    Components c = CleanName(name);
    if (c.empty()) return;  // the root itself: dir belongs to the caller
    UniqueFd parent = OpenDir(c, c.size() - 1, true);
    const std::string& base = c.back();
    if (o_.whiteouts && base.rfind(".wh.", 0) == 0) return Whiteout(parent.get(), base, c);
    if (const char* target = Name(archive_entry_hardlink(e), archive_entry_hardlink_utf8(e)))
      return HardLink(parent.get(), base, target);
    mode_t type = archive_entry_filetype(e);
    ClearWay(parent.get(), base, type == AE_IFDIR);
    switch (type) {
      case AE_IFDIR: return Directory(parent.get(), base, e, c);
      case AE_IFREG: return RegularFile(a, parent.get(), base, e);
      case AE_IFLNK: return Symlink(parent.get(), base, e);
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: return Special(parent.get(), base, e, type);
      default: throw Error("unsupported entry type " + std::to_string(type));
    }
  }

  // Directory mtimes last: creating children changed them. Deepest first.
  void FinishDirectories() {
    for (size_t i = dirs_.size(); i-- > 0;) {
      UniqueFd d = OpenDir(dirs_[i].first, dirs_[i].first.size(), false);
      if (::futimens(d.get(), dirs_[i].second.data()) != 0) throw SysError("utimens", Join(dirs_[i].first, dirs_[i].first.size()));
    }
  }

 private:
  // Opens the first n components as directories under root, never following a symlink;
  // missing ones are created (0755) when `create`.
  UniqueFd OpenDir(const Components& c, size_t n, bool create) {
    UniqueFd cur(::dup(root_.get()));
    for (size_t i = 0; i < n; i++) {
      int fd = ::openat(cur.get(), c[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create) {
        bool made = ::mkdirat(cur.get(), c[i].c_str(), 0755) == 0;
        if (!made && errno != EEXIST) throw SysError("mkdir", Join(c, i + 1));
        fd = ::openat(cur.get(), c[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        // 0755 exactly, not 0755 & ~umask: the container's users must get through it.
        if (made && fd >= 0 && ::fchmod(fd, 0755) != 0) throw SysError("chmod", Join(c, i + 1));
      }
      if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
          throw Error("parent \"" + Join(c, i + 1) + "\" is a symlink or not a directory; refusing to write through it");
        throw SysError("open", Join(c, i + 1));
      }
      cur.Reset(fd);
    }
    return cur;
  }

  // A later entry replaces an earlier one of the same name (tar semantics), except that a
  // directory meeting a directory is kept and only gets new metadata.
  void ClearWay(int parent, const std::string& base, bool is_dir) {
    struct stat st;
    if (::fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (is_dir && S_ISDIR(st.st_mode)) return;
    RemoveAll(ProcPath(parent, base));
  }

  void Whiteout(int parent, const std::string& base, const Components& c) {
    if (base == ".wh..wh..opq") {
      MarkOpaqueFd(parent, Join(c, c.size() - 1));
      return;
    }
    if (base.rfind(".wh..wh.", 0) == 0) return;  // aufs bookkeeping (.wh..wh.plnk etc.): meaningless here
    std::string name = base.substr(4);
    if (name.empty() || name == "." || name == "..") throw Error("malformed whiteout");
    ClearWay(parent, name, false);
    MakeWhiteoutAt(parent, name);
  }

  void HardLink(int parent, const std::string& base, const std::string& target) {
    Components t;
    try {
      t = CleanName(target);
    } catch (const std::exception& e) {
      throw Error("hard link target \"" + target + "\": " + e.what());
    }
    if (t.empty()) throw Error("hard link to the root refused");
    UniqueFd tparent = OpenDir(t, t.size() - 1, false);
    struct stat st;
    if (::fstatat(tparent.get(), t.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw SysError("hard link target", target);
    if (S_ISDIR(st.st_mode)) throw Error("hard link to directory \"" + target + "\" refused");
    ClearWay(parent, base, false);
    // flags 0: a symlink target is linked itself, never followed out of the tree.
    if (::linkat(tparent.get(), t.back().c_str(), parent, base.c_str(), 0) != 0) throw SysError("link to", target);
  }

  void Directory(int parent, const std::string& base, archive_entry* e, const Components& c) {
    if (::mkdirat(parent, base.c_str(), 0700) != 0 && errno != EEXIST) throw SysError("mkdir", base);
    UniqueFd d(::openat(parent, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) throw SysError("open", base);
    Metadata(d.get(), e);
    dirs_.push_back({c, {Time(e), Time(e)}});
  }

  void RegularFile(archive* a, int parent, const std::string& base, archive_entry* e) {
    UniqueFd f(::openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!f) throw SysError("create", base);
    const void* buf;
    size_t size;
    la_int64_t offset;
    for (;;) {
      int rc = archive_read_data_block(a, &buf, &size, &offset);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK) throw Error(std::string("reading data: ") + archive_error_string(a));
      const char* p = static_cast<const char*>(buf);
      while (size > 0) {
        ssize_t n = ::pwrite(f.get(), p, size, offset);
        if (n < 0) {
          if (errno == EINTR) continue;
          throw SysError("write", base);
        }
        p += n;
        offset += n;
        size -= static_cast<size_t>(n);
      }
    }
    // Sparse tails: the data blocks may end before the entry's size.
    if (::ftruncate(f.get(), archive_entry_size(e)) != 0) throw SysError("truncate", base);
    Metadata(f.get(), e);
    struct timespec t[2] = {Time(e), Time(e)};
    if (::futimens(f.get(), t) != 0) throw SysError("utimens", base);
  }

  void Symlink(int parent, const std::string& base, archive_entry* e) {
    const char* target = Name(archive_entry_symlink(e), archive_entry_symlink_utf8(e));
    if (!target) throw Error("symlink without a target");
    if (::symlinkat(target, parent, base.c_str()) != 0) throw SysError("symlink", base);
    PathMetadata(parent, base, e, true);
  }

  void Special(int parent, const std::string& base, archive_entry* e, mode_t type) {
    dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (::mknodat(parent, base.c_str(), type | 0600, dev) != 0) {
      // A device node the kernel will not make here (a user namespace, a CI container without
      // CAP_MKNOD) is left out of the unpacked tree, as moby's extractor does: no step could
      // open it there anyway, and the layer's blob, which images are made of, keeps it.
      if (errno == EPERM && type != AE_IFIFO) return;
      throw SysError("mknod", base);
    }
    PathMetadata(parent, base, e, false);
  }

  // Owner before mode: chown clears setuid/setgid.
  void Metadata(int fd, archive_entry* e) {
    if (::fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) != 0 && !TolerableOwnerError()) throw SysError("chown", "");
    RecordOwner(e, [&](const char* k, const void* v, size_t n) { return ::fsetxattr(fd, k, v, n, 0); });
    if (::fchmod(fd, archive_entry_perm(e)) != 0) throw SysError("chmod", "");
    Xattrs(e, [&](const char* k, const void* v, size_t n) { return ::fsetxattr(fd, k, v, n, 0); });
  }

  void PathMetadata(int parent, const std::string& base, archive_entry* e, bool is_link) {
    if (::fchownat(parent, base.c_str(), archive_entry_uid(e), archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) != 0 &&
        !TolerableOwnerError())
      throw SysError("chown", base);
    if (!is_link && ::fchmodat(parent, base.c_str(), archive_entry_perm(e), 0) != 0) throw SysError("chmod", base);
    std::string p = ProcPath(parent, base);
    if (!is_link) RecordOwner(e, [&](const char* k, const void* v, size_t n) { return ::lsetxattr(p.c_str(), k, v, n, 0); });
    Xattrs(e, [&](const char* k, const void* v, size_t n) { return ::lsetxattr(p.c_str(), k, v, n, 0); });
    struct timespec t[2] = {Time(e), Time(e)};
    if (::utimensat(parent, base.c_str(), t, AT_SYMLINK_NOFOLLOW) != 0) throw SysError("utimens", base);
  }

  // Only allow-listed xattrs are restored: an archive must not be able to plant overlay
  // bookkeeping (trusted.overlay.redirect, ...) or security labels.
  template <typename Set>
  void Xattrs(archive_entry* e, Set set) {
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      if (!IsLayerXattr(name)) continue;
      if (set(name, value, size) != 0 && errno != ENOTSUP && !(errno == EPERM && !euid_root_))
        throw SysError(std::string("setxattr ") + name, "");
    }
  }

  // A non-root process cannot chown: the entry's owner is recorded instead (base/owner.h), so
  // the trees built on this layer know it.
  template <typename Set>
  void RecordOwner(archive_entry* e, Set set) {
    if (!OwnersRecorded() || (archive_entry_uid(e) == 0 && archive_entry_gid(e) == 0)) return;
    std::string v = std::to_string(archive_entry_uid(e)) + ":" + std::to_string(archive_entry_gid(e));
    if (set(kOwnerXattr, v.data(), v.size()) != 0 && errno != ENOTSUP) throw SysError("record the owner", "");
  }

  bool TolerableOwnerError() const { return errno == EPERM && !euid_root_; }

  static struct timespec Time(archive_entry* e) {
    return {static_cast<time_t>(archive_entry_mtime(e)), archive_entry_mtime_nsec(e)};
  }

  std::string dir_;
  const ExtractOptions& o_;
  UniqueFd root_;
  bool euid_root_ = false;
  std::vector<std::pair<Components, std::array<struct timespec, 2>>> dirs_;
};

std::string EntryName(archive_entry* e) {
  if (const char* n = Name(archive_entry_pathname(e), archive_entry_pathname_utf8(e))) return n;
  throw Error("an entry has no readable name");
}

}  // namespace

void ExtractTarFd(int fd, const std::string& source, const std::string& dir, const ExtractOptions& options) {
  CLocaleScope c_locale;  // names are bytes, whatever LANG says; before libarchive sees one
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  if (!a) throw Error("libarchive: out of memory");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  archive_read_support_format_empty(a.get());
  if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK)
    throw Error("reading " + source + ": " + archive_error_string(a.get()));
  Extractor x(dir, options);
  for (;;) {
    archive_entry* e;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      throw Error("reading " + source + ": " + archive_error_string(a.get()) + " (is it a tar archive?)");
    std::string name = EntryName(e);
    try {
      x.Entry(a.get(), e, name);
    } catch (const std::exception& err) {
      throw Error(source + ": entry \"" + name + "\": " + err.what());
    }
  }
  x.FinishDirectories();
}

void ExtractLayer(const std::string& blob_path, const std::string& dir) {
  UniqueFd fd(::open(blob_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", blob_path);
  ExtractTarFd(fd.get(), blob_path, dir, ExtractOptions{});
}

}  // namespace cairn::store
