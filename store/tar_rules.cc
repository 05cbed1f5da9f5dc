#include "store/tar_rules.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <clocale>

#include "base/error.h"
#include "base/owner.h"

namespace cairn::store {

std::string TarName(const std::string& rel_path, bool is_dir) {
  std::string name = rel_path;
  while (!name.empty() && name.front() == '/') name.erase(0, 1);
  if (name.rfind("./", 0) == 0) name.erase(0, 2);
  if (is_dir && !name.empty() && name.back() != '/') name += '/';
  return name;
}

bool IsLayerXattr(std::string_view name) {
  if (name == "security.capability") return true;
  // user.cairn.owner: a non-root build's owner record (base/owner.h), never the image's.
  return name.rfind("user.", 0) == 0 && name.rfind("user.overlay.", 0) != 0 && name != kOwnerXattr;
}

void FillHeader(archive_entry* e, const std::string& tar_name, const struct stat& st, const std::string& symlink_target,
                Xattrs xattrs, const std::string& hardlink_to, int64_t epoch) {
  archive_entry_set_pathname(e, tar_name.c_str());
  archive_entry_set_mode(e, st.st_mode & (S_IFMT | 07777));
  archive_entry_set_uid(e, st.st_uid);
  archive_entry_set_gid(e, st.st_gid);
  archive_entry_set_mtime(e, std::min<int64_t>(st.st_mtim.tv_sec, epoch), 0);
  xattrs.erase(std::remove_if(xattrs.begin(), xattrs.end(), [](auto& x) { return !IsLayerXattr(x.first); }),
               xattrs.end());
  // libarchive prepends to its xattr list, so adding in reverse order writes them sorted.
  std::sort(xattrs.rbegin(), xattrs.rend());
  for (auto& [k, v] : xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
  if (!hardlink_to.empty()) {
    // A hard link carries no data of its own; its mode/owner repeat the target's.
    archive_entry_set_hardlink(e, hardlink_to.c_str());
    archive_entry_set_size(e, 0);
    return;
  }
  if (S_ISREG(st.st_mode)) archive_entry_set_size(e, st.st_size);
  if (S_ISLNK(st.st_mode)) archive_entry_set_symlink(e, symlink_target.c_str());
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    archive_entry_set_rdevmajor(e, major(st.st_rdev));
    archive_entry_set_rdevminor(e, minor(st.st_rdev));
  }
}

void FillWhiteoutHeader(archive_entry* e, const std::string& tar_name, int64_t epoch) {
  archive_entry_set_pathname(e, tar_name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0);
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  archive_entry_set_mtime(e, epoch, 0);
  archive_entry_set_size(e, 0);
}

CLocaleScope::CLocaleScope() : c_(::newlocale(LC_ALL_MASK, "C", nullptr)) {
  if (!c_) throw Error("newlocale(C) failed");
  previous_ = ::uselocale(c_);
}

CLocaleScope::~CLocaleScope() {
  ::uselocale(previous_);
  ::freelocale(c_);
}

void ConfigureTarWriter(archive* a) {
  // pax_restricted: ustar unless a field does not fit; libarchive names PAX headers
  // "<dir>/PaxHeader/<name>" with the entry's own mtime/owner: no pid, no clock (tested).
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_add_filter_none(a) != ARCHIVE_OK ||
      // Records are 512 bytes; no padding of the last block to 10 KiB: the tar ends right after
      // its two zero blocks, like Go's archive/tar (docker, BuildKit).
      archive_write_set_bytes_per_block(a, 512) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
    throw Error(std::string("libarchive: cannot configure the tar writer: ") + archive_error_string(a));
}

}  // namespace cairn::store
