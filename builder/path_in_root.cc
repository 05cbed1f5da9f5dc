#include "builder/path_in_root.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "base/error.h"

namespace cairn::builder {

static std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::string ResolveInRoot(const std::string& root, std::string_view path, bool follow_last) {
  std::vector<std::string> todo = Split(path);
  std::reverse(todo.begin(), todo.end());  // a stack: back() is the next component
  std::vector<std::string> done;
  int links = 0;
  auto current = [&] {
    std::string s = root;
    for (auto& d : done) s += "/" + d;
    return s;
  };
  while (!todo.empty()) {
    std::string part = todo.back();
    todo.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string candidate = current() + "/" + part;
    struct stat st;
    bool last = todo.empty();
    if (::lstat(candidate.c_str(), &st) != 0 || !S_ISLNK(st.st_mode) || (last && !follow_last)) {
      done.push_back(part);
      continue;
    }
    if (++links > 255) throw Error("resolve " + std::string(path) + ": too many levels of symbolic links");
    char buf[4096];
    ssize_t n = ::readlink(candidate.c_str(), buf, sizeof buf - 1);
    if (n < 0) throw SysError("readlink", candidate);
    std::string target(buf, static_cast<size_t>(n));
    if (!target.empty() && target[0] == '/') done.clear();
    auto more = Split(target);
    for (auto it = more.rbegin(); it != more.rend(); ++it) todo.push_back(*it);
  }
  return current();
}

}  // namespace cairn::builder
