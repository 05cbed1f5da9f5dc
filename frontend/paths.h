// Slash-separated paths as Go's path package handles them (WORKDIR and COPY destinations).
#pragma once

#include <string>
#include <string_view>

namespace cairn::frontend {

std::string PathClean(std::string_view p);                     // path.Clean
std::string PathJoin(std::string_view a, std::string_view b);  // path.Join (cleaned)
bool PathIsAbs(std::string_view p);

}  // namespace cairn::frontend
