// Slash paths, lexically, with Go's path package semantics (the Dockerfile's and BuildKit's rules
// for WORKDIR, COPY destinations and .dockerignore patterns are written in those terms). Nothing
// here touches the disk.
#pragma once

#include <string>
#include <string_view>

namespace cairn {

// Go's path.Clean: "a//b/./c/.." -> "a/b", "" -> ".", "/../x" -> "/x", "../../a/.." -> "../..".
std::string CleanPath(std::string_view path);

// Go's path.Dir: everything before the last '/', cleaned: "/a/b" -> "/a", "/a" -> "/", "a" -> ".".
std::string Dirname(std::string_view path);

}  // namespace cairn
