// A Plan as JSON, for golden files: each step shows only the config fields it changed, so a
// reviewer sees what every instruction did.
#pragma once

#include <nlohmann/json.hpp>

#include "plan/plan.h"

namespace cairn::frontend::testing {

nlohmann::ordered_json PlanToJson(const plan::Plan& plan);

}  // namespace cairn::frontend::testing
