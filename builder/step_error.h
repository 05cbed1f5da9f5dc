// Errors an instruction causes, located the one way the parser locates its own (rule 4 of the
// error convention in README's Hacking section):
//   Dockerfile:3: COPY missing.txt /: "missing.txt": not found in /ctx (...)
//    3 | COPY missing.txt /
//      | ^
#pragma once

#include <string>

#include "base/error.h"
#include "plan/plan.h"

namespace cairn::builder {

// "Dockerfile:LINE: " for the step.
std::string StepWhere(const plan::Step& step);

// The step's place, its instruction text, `why`, then the instruction shown under it. `why` may
// span lines (a RUN failure's last output): the snippet goes after its first line. A `why` that
// already starts with the step's place is returned as it is, so nothing is located twice.
Error StepError(const plan::Step& step, const std::string& why);

}  // namespace cairn::builder
