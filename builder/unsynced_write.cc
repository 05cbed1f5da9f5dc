#include "builder/unsynced_write.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"

namespace cairn::builder {

void WriteFileUnsynced(const std::string& path, std::string_view data) {
  std::string name = path + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(name.data(), O_CLOEXEC));
  if (!fd) throw SysError("create", name);
  ScopeFail remove_tmp([&] { ::unlink(name.c_str()); });
  WriteAll(fd.get(), data.data(), data.size(), name);
  if (::fchmod(fd.get(), 0644) != 0) throw SysError("chmod", name);
  fd.Reset();
  if (std::rename(name.c_str(), path.c_str()) != 0) throw SysError("rename to", path);
}

}  // namespace cairn::builder
