// Located errors: "Dockerfile:LINE:COL: message", then the offending line and a caret:
//   Dockerfile:3:1: unknown instruction "COPPY" (did you mean COPY?)
//      3 | COPPY a b
//        | ^
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontend/frontend.h"

namespace cairn::frontend {

// `lines` are the file's physical lines; a location outside them gets no snippet.
ParseError LocatedError(const std::vector<std::string>& lines, const plan::Location& where,
                        std::string_view message);

}  // namespace cairn::frontend
