#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace cairn {

Error SysError(std::string_view what, std::string_view path) { return SysError(what, path, errno); }

Error SysError(std::string_view what, std::string_view path, int err) {
  std::string msg(what);
  if (!path.empty()) {
    msg += " ";
    msg += path;
  }
  msg += ": ";
  msg += std::strerror(err);
  return Error(msg);
}

Error Wrap(std::string_view context, const std::exception& e) {
  return Error(std::string(context) + ": " + e.what());
}

}  // namespace cairn
