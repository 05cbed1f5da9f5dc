// Slash-separated paths as Go's path package handles them (WORKDIR and COPY destinations).
#pragma once

#include <string>
#include <string_view>

#include "base/path.h"  // CleanPath (path.Clean), Dirname (path.Dir)

namespace cairn::frontend {

std::string PathJoin(std::string_view a, std::string_view b);  // path.Join (cleaned)
bool PathIsAbs(std::string_view p);

}  // namespace cairn::frontend
