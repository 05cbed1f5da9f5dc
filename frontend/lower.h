// Typed instructions -> Plan: Dockerfile semantics (ARG/ENV scoping and expansion, stages,
// ONBUILD triggers of base images, SHELL, WORKDIR), as BuildKit's dockerfile2llb applies them.
#pragma once

#include "plan/plan.h"
#include "frontend/frontend.h"
#include "frontend/instructions.h"

namespace cairn::frontend {

// Throws ParseError located at the offending instruction (bad expansion, unknown --target,
// COPY --from of a later stage, ...); the resolver's cairn::Error is wrapped with the FROM line.
plan::Plan Lower(const Dockerfile& file, const Options& options, const ConfigResolver& resolve);

}  // namespace cairn::frontend
