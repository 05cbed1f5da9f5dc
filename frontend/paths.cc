#include "frontend/paths.h"

#include "base/path.h"

namespace cairn::frontend {

bool PathIsAbs(std::string_view p) { return !p.empty() && p[0] == '/'; }

std::string PathJoin(std::string_view a, std::string_view b) {
  if (a.empty()) return b.empty() ? "" : CleanPath(b);
  if (b.empty()) return CleanPath(a);
  return CleanPath(std::string(a) + "/" + std::string(b));
}

}  // namespace cairn::frontend
