#include "builder/add_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "base/error.h"
#include "base/fs.h"
#include "base/path.h"
#include "builder/path_in_root.h"

namespace cairn::builder {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;

static ArchivePtr OpenReader(const std::string& path) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) return ArchivePtr(nullptr, archive_read_free);
  return a;
}

bool IsTarArchive(const std::string& path) {
  ArchivePtr a = OpenReader(path);
  if (!a) return false;
  archive_entry* e;
  int r = archive_read_next_header(a.get(), &e);
  return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

namespace {

bool HasDotDot(const std::string& name) {
  for (size_t i = 0; i <= name.size();) {
    size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    if (j - i == 2 && name.compare(i, 2, "..") == 0) return true;
    i = j + 1;
  }
  return false;
}

// Where an entry named `name` (relative to the destination) lands on the host: its parent
// directories resolved within root, so links already in the image are followed there; the entry
// itself is not followed (a file replaces a link of its name, as tar does).
std::string EntryHostPath(const std::string& root, const std::string& dest_rel, const std::string& name) {
  std::string clean = CleanPath("/" + dest_rel + "/" + name);
  return ResolveInRoot(root, clean, /*follow_last=*/false);
}

}  // namespace

void ExtractArchiveInto(const std::string& archive_path, const std::string& root, const std::string& dest_dir,
                        std::optional<uint32_t> uid, std::optional<uint32_t> gid) {
  ArchivePtr in = OpenReader(archive_path);
  if (!in) throw Error("ADD " + archive_path + ": cannot read the archive");
  ArchivePtr out(archive_write_disk_new(), archive_write_free);
  // Every path handed to libarchive is already resolved inside root (EntryHostPath), so the
  // symlink check is ours, not libarchive's: its SECURE_SYMLINKS would refuse the image's own
  // links, and its UNLINK would replace them by directories.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_PERM |
                                                ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR |
                                                ARCHIVE_EXTRACT_UNLINK);
  std::string dest_rel = dest_dir.size() > root.size() ? dest_dir.substr(root.size()) : "/";
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(in.get(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    std::string name = archive_entry_pathname(e);
    if (name.empty() || name[0] == '/' || HasDotDot(name))
      throw Error("ADD " + archive_path + ": entry \"" + name + "\" would be written outside the destination");
    if (const char* hl = archive_entry_hardlink(e)) {
      std::string target = hl;
      if (target.empty() || target[0] == '/' || HasDotDot(target))
        throw Error("ADD " + archive_path + ": hard link \"" + name + "\" points outside the destination");
      archive_entry_set_hardlink(e, EntryHostPath(root, dest_rel, target).c_str());
    }
    std::string host = EntryHostPath(root, dest_rel, name);
    if (archive_entry_filetype(e) == AE_IFDIR && host.size() > root.size()) {
      struct stat st;
      if (::lstat(host.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && IsDirectory(ResolveInRoot(root, host.substr(root.size())))) {
        archive_read_data_skip(in.get());
        continue;  // a directory entry over a link to a directory: the link stays (moby#53258)
      }
    }
    archive_entry_set_pathname(e, host.c_str());
    if (uid) archive_entry_set_uid(e, *uid);
    if (gid) archive_entry_set_gid(e, *gid);
    if (uid || gid) {
      archive_entry_set_uname(e, nullptr);  // the numbers decide, never a name lookup
      archive_entry_set_gname(e, nullptr);
    }
    if (archive_write_header(out.get(), e) != ARCHIVE_OK)
      throw Error("ADD " + archive_path + ": entry \"" + name + "\": " + archive_error_string(out.get()));
    const void* buf;
    size_t len;
    la_int64_t off;
    int rd;
    while ((rd = archive_read_data_block(in.get(), &buf, &len, &off)) == ARCHIVE_OK)
      if (archive_write_data_block(out.get(), buf, len, off) != ARCHIVE_OK)
        throw Error("ADD " + archive_path + ": write \"" + name + "\": " + archive_error_string(out.get()));
    if (rd != ARCHIVE_EOF) throw Error("ADD " + archive_path + ": read \"" + name + "\": " + archive_error_string(in.get()));
    if (archive_write_finish_entry(out.get()) != ARCHIVE_OK)
      throw Error("ADD " + archive_path + ": finish \"" + name + "\": " + archive_error_string(out.get()));
  }
  if (r != ARCHIVE_EOF) throw Error("ADD " + archive_path + ": " + archive_error_string(in.get()));
  if (archive_write_close(out.get()) != ARCHIVE_OK) throw Error("ADD " + archive_path + ": " + archive_error_string(out.get()));
}

}  // namespace cairn::builder
