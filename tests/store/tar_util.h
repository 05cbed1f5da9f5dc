// Test helpers: read a tar (any compression) into plain structs; write hand-made (hostile) tars.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cairn::store::testing {

struct TarEntry {
  std::string name;
  char type = 'f';  // f regular, d dir, l symlink, h hardlink, c char, b block, p fifo
  unsigned mode = 0644;  // permission bits
  int64_t uid = 0, gid = 0;
  int64_t mtime = 0;
  std::string data;      // regular files
  std::string link;      // symlink target or hardlink target
  unsigned rdev_major = 0, rdev_minor = 0;
  std::string uname, gname;
  std::map<std::string, std::string> xattrs;
};

inline TarEntry MakeEntry(std::string name, char type, unsigned mode) {
  TarEntry e;
  e.name = std::move(name);
  e.type = type;
  e.mode = mode;
  return e;
}

std::vector<TarEntry> ReadTar(const std::string& path);
// Names only, in archive order.
std::vector<std::string> TarNames(const std::string& path);
// Writes entries as given (names unchecked), pax format, filter "" / "gzip" / "zstd".
void WriteTar(const std::string& path, const std::vector<TarEntry>& entries, const std::string& filter = "");

}  // namespace cairn::store::testing
