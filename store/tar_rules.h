// THE determinism rules for layer tar entries, all in one place. (Private to store/.)
// Every header cairn writes into a layer is built here; the same tree gives the same bytes on
// any machine, at any time, under any umask or user name database.
#pragma once

#include <locale.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

struct archive;
struct archive_entry;

namespace cairn::store {

using Xattrs = std::vector<std::pair<std::string, std::string>>;  // name, value

// The name an entry has in the tar: relative ("etc/passwd", no "./" or "/"), directories end
// with "/" ("etc/") as docker and BuildKit write them.
std::string TarName(const std::string& rel_path, bool is_dir);

// True for the extended attributes a layer may carry: security.capability (file capabilities,
// e.g. ping) and user.* (application data). Everything else is host state: security.selinux
// labels, system.posix_acl_* (not portable), trusted.* and user.overlay.* (overlayfs's own
// bookkeeping, which would smuggle whiteouts/redirects into the image).
bool IsLayerXattr(std::string_view name);

// Fills `e` (freshly cleared) for a file-system object:
//   - name: TarName
//   - mode: type bits + all 12 permission bits (setuid/setgid/sticky kept: they are content)
//   - uid/gid numeric; uname/gname left empty, so /etc/passwd of the build host never leaks
//     in (umoci learnt this when a user-database change altered image digests)
//   - mtime = min(st_mtime, epoch), whole seconds: files not touched since the epoch keep their
//     time, everything newer (i.e. everything the build made) gets the epoch
//   - atime/ctime/birthtime never set (they change on every read/inode change)
//   - size only for regular files; symlink target; rdev major/minor for char/block devices
//   - xattrs: only IsLayerXattr ones, sorted by name
// `hardlink_to`, when not empty, makes the entry a hard link to that (earlier) tar name.
void FillHeader(archive_entry* e, const std::string& tar_name, const struct stat& st, const std::string& symlink_target,
                Xattrs xattrs, const std::string& hardlink_to, int64_t epoch);

// A whiteout marker (".wh.<name>" or ".wh..wh..opq"): an empty regular file with fixed metadata
// (mode 0, uid/gid 0, mtime = epoch) so that only its name carries meaning, as in docker.
void FillWhiteoutHeader(archive_entry* e, const std::string& tar_name, int64_t epoch);

// The pinned tar writer settings: pax_restricted (plain ustar headers; a PAX record only for
// what ustar cannot hold: long names, big ids/sizes, xattrs), no block padding after the two
// end-of-archive blocks. Throws Error if libarchive refuses.
void ConfigureTarWriter(archive* a);

// Rule: names are bytes. While alive, this thread runs in the "C" locale, so libarchive never
// converts names through the user's LANG: ASCII names go into plain ustar fields, anything else
// into a PAX path record marked hdrcharset=BINARY, the same on every machine. Hold one for the
// whole life of a tar writer (libarchive picks its charset at the first header).
class CLocaleScope {
 public:
  CLocaleScope();
  ~CLocaleScope();
  CLocaleScope(const CLocaleScope&) = delete;
  CLocaleScope& operator=(const CLocaleScope&) = delete;

 private:
  locale_t c_;
  locale_t previous_;
};

// archive_write_header's result is acceptable: ARCHIVE_WARN is what libarchive returns when it
// fell back to raw bytes for a name (see CLocaleScope); the entry was written.
inline bool HeaderWritten(int rc) { return rc == 0 /*ARCHIVE_OK*/ || rc == -20 /*ARCHIVE_WARN*/; }

}  // namespace cairn::store
