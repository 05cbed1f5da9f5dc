#include "builder/add_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "base/error.h"
#include "base/fs.h"

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

void ExtractArchiveInto(const std::string& archive_path, const std::string& dest_dir) {
  ArchivePtr in = OpenReader(archive_path);
  if (!in) throw Error("ADD " + archive_path + ": cannot read the archive");
  ArchivePtr out(archive_write_disk_new(), archive_write_free);
  // The SECURE flags are what keep a hostile archive inside dest_dir.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
                                                ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_XATTR |
                                                ARCHIVE_EXTRACT_UNLINK);
  // Entries are written relative to dest_dir: the SECURE flags refuse absolute names, and this
  // runs in WithMountedStacks' child, so changing directory touches nobody else.
  UniqueFd old_cwd(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (::chdir(dest_dir.c_str()) != 0) throw SysError("chdir", dest_dir);
  struct RestoreCwd {
    int fd;
    ~RestoreCwd() {
      if (fd >= 0) (void)!::fchdir(fd);
    }
  } restore{old_cwd.get()};
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(in.get(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    std::string name = archive_entry_pathname(e);
    if (name.empty() || name[0] == '/' || name.find("..") != std::string::npos) {
      // Refuse explicitly rather than rely on flags alone: the message names the entry.
      std::string clean = name;
      bool dotdot = false;
      for (size_t i = 0; i <= clean.size();) {
        size_t j = clean.find('/', i);
        if (j == std::string::npos) j = clean.size();
        dotdot |= clean.compare(i, j - i, "..") == 0 && j - i == 2;
        i = j + 1;
      }
      if (name.empty() || name[0] == '/' || dotdot)
        throw Error("ADD " + archive_path + ": entry \"" + name + "\" would be written outside the destination");
    }
    if (const char* hl = archive_entry_hardlink(e)) {
      std::string target = hl;
      if (target.empty() || target[0] == '/' || target.find("../") != std::string::npos || target == "..")
        throw Error("ADD " + archive_path + ": hard link \"" + name + "\" points outside the destination");
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
