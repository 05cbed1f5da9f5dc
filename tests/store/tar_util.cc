#include "tar_util.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <stdexcept>

namespace cairn::store::testing {

std::vector<TarEntry> ReadTar(const std::string& path) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    throw std::runtime_error(archive_error_string(a.get()));
  std::vector<TarEntry> out;
  archive_entry* e;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    TarEntry t;
    t.name = archive_entry_pathname(e);
    switch (archive_entry_filetype(e)) {
      case AE_IFDIR: t.type = 'd'; break;
      case AE_IFLNK: t.type = 'l'; break;
      case AE_IFCHR: t.type = 'c'; break;
      case AE_IFBLK: t.type = 'b'; break;
      case AE_IFIFO: t.type = 'p'; break;
      default: t.type = 'f';
    }
    if (archive_entry_hardlink(e)) {
      t.type = 'h';
      t.link = archive_entry_hardlink(e);
    }
    if (archive_entry_symlink(e)) t.link = archive_entry_symlink(e);
    t.mode = archive_entry_perm(e);
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    t.mtime = archive_entry_mtime(e);
    t.rdev_major = archive_entry_rdevmajor(e);
    t.rdev_minor = archive_entry_rdevminor(e);
    if (archive_entry_uname(e)) t.uname = archive_entry_uname(e);
    if (archive_entry_gname(e)) t.gname = archive_entry_gname(e);
    archive_entry_xattr_reset(e);
    const char* n;
    const void* v;
    size_t s;
    while (archive_entry_xattr_next(e, &n, &v, &s) == ARCHIVE_OK) t.xattrs[n] = std::string(static_cast<const char*>(v), s);
    char buf[4096];
    la_ssize_t r;
    while ((r = archive_read_data(a.get(), buf, sizeof buf)) > 0) t.data.append(buf, static_cast<size_t>(r));
    out.push_back(t);
  }
  return out;
}

std::vector<std::string> TarNames(const std::string& path) {
  std::vector<std::string> names;
  for (auto& e : ReadTar(path)) names.push_back(e.name);
  return names;
}

void WriteTar(const std::string& path, const std::vector<TarEntry>& entries, const std::string& filter) {
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  if (!filter.empty()) archive_write_add_filter_by_name(a.get(), filter.c_str());
  if (archive_write_open_filename(a.get(), path.c_str()) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a.get()));
  for (auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    unsigned type = AE_IFREG;
    switch (t.type) {
      case 'd': type = AE_IFDIR; break;
      case 'l': type = AE_IFLNK; break;
      case 'c': type = AE_IFCHR; break;
      case 'b': type = AE_IFBLK; break;
      case 'p': type = AE_IFIFO; break;
    }
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, t.mode);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    if (t.type == 'l') archive_entry_set_symlink(e, t.link.c_str());
    if (t.type == 'h') archive_entry_set_hardlink(e, t.link.c_str());
    if (t.type == 'c' || t.type == 'b') {
      archive_entry_set_rdevmajor(e, t.rdev_major);
      archive_entry_set_rdevminor(e, t.rdev_minor);
    }
    for (auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    if (t.type == 'f') archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
    if (archive_write_header(a.get(), e) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a.get()));
    if (t.type == 'f' && !t.data.empty()) archive_write_data(a.get(), t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a.get());
}

}  // namespace cairn::store::testing
