#include "frontend/paths.h"

#include <vector>

namespace cairn::frontend {

bool PathIsAbs(std::string_view p) { return !p.empty() && p[0] == '/'; }

std::string PathClean(std::string_view p) {
  if (p.empty()) return ".";
  bool rooted = p[0] == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t slash = p.find('/', i);
    if (slash == std::string_view::npos) slash = p.size();
    std::string_view part = p.substr(i, slash - i);
    i = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!rooted) parts.push_back(part);
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
  return out.empty() ? "." : out;
}

std::string PathJoin(std::string_view a, std::string_view b) {
  if (a.empty()) return b.empty() ? "" : PathClean(b);
  if (b.empty()) return PathClean(a);
  return PathClean(std::string(a) + "/" + std::string(b));
}

}  // namespace cairn::frontend
