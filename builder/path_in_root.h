// Resolving paths inside a root directory as if it were "/", so that symlinks in an image or a
// build context can never lead a COPY outside of it.
#pragma once

#include <string>
#include <string_view>

namespace cairn::builder {

// Joins `path` (absolute or relative, treated as relative to root) onto `root`, following every
// symlink of every component with `root` as the file-system root: ".." stops at root and absolute
// link targets restart at root. The last component is followed too unless follow_last is false.
// Components that do not exist are appended as they are. Throws Error after 255 links.
std::string ResolveInRoot(const std::string& root, std::string_view path, bool follow_last = true);

}  // namespace cairn::builder
