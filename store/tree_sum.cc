#include "store/tree_sum.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"

namespace cairn::store {

namespace {

void Field(Sha256& h, const std::string& s) {
  h.Update(s);
  h.Update("\0", 1);  // a separator no path or value can contain
}

void Entry(Sha256& h, const std::string& path, const std::string& rel) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) throw SysError("stat", path);
  Field(h, rel);
  Field(h, std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + " " + std::to_string(st.st_gid));
  if (S_ISREG(st.st_mode)) {
    Field(h, std::to_string(st.st_size) + " " + std::to_string(st.st_mtime) + " " + DigestOfFile(path));
  } else if (S_ISLNK(st.st_mode)) {
    Field(h, ReadSymlink(path));
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    Field(h, std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)));
  }
  ssize_t len = ::llistxattr(path.c_str(), nullptr, 0);
  if (len > 0) {
    std::string names(static_cast<size_t>(len), '\0');
    len = ::llistxattr(path.c_str(), names.data(), names.size());
    std::vector<std::string> sorted;
    for (size_t i = 0; len > 0 && i < static_cast<size_t>(len); i += std::strlen(names.c_str() + i) + 1)
      sorted.emplace_back(names.c_str() + i);
    std::sort(sorted.begin(), sorted.end());
    for (auto& n : sorted) {
      ssize_t vl = ::lgetxattr(path.c_str(), n.c_str(), nullptr, 0);
      std::string v(vl > 0 ? static_cast<size_t>(vl) : 0, '\0');
      if (vl > 0) vl = ::lgetxattr(path.c_str(), n.c_str(), v.data(), v.size());
      Field(h, n + "=" + v.substr(0, vl > 0 ? static_cast<size_t>(vl) : 0));
    }
  }
  if (S_ISDIR(st.st_mode))
    for (auto& name : ListDir(path)) Entry(h, JoinPath(path, name), rel + "/" + name);
}

}  // namespace

std::string TreeDigest(const std::string& dir) {
  Sha256 h;
  Entry(h, dir, ".");
  return h.Finish();
}

std::string BlobDiffId(const std::string& path) {
  struct Free {
    void operator()(archive* a) const { archive_read_free(a); }
  };
  std::unique_ptr<archive, Free> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  archive_read_support_format_empty(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    throw Error("reading layer " + path + ": " + archive_error_string(a.get()));
  Sha256 h;
  archive_entry* e;
  int rc = archive_read_next_header(a.get(), &e);
  if (rc == ARCHIVE_EOF) return h.Finish();
  if (rc != ARCHIVE_OK) throw Error("reading layer " + path + ": " + archive_error_string(a.get()));
  const void* buf;
  size_t size;
  la_int64_t off;
  while ((rc = archive_read_data_block(a.get(), &buf, &size, &off)) == ARCHIVE_OK) h.Update(buf, size);
  if (rc != ARCHIVE_EOF) throw Error("reading layer " + path + ": " + archive_error_string(a.get()));
  return h.Finish();
}

std::string TreeSumPath(const std::string& layer_dir) { return layer_dir + ".sum"; }

}  // namespace cairn::store
