// What `cairn build --call=outline` and `--call=targets` print, read from the Dockerfile alone
// (nothing is resolved or built), as buildx's outline and targets subrequests describe it.
// A description is the comment right above FROM ... AS name or ARG name that starts with the
// name ("# build compiles the binary" describes stage build), as BuildKit reads it.
#pragma once

#include <string>
#include <vector>

#include "frontend/ast.h"

namespace cairn::frontend {

struct OutlineArg {
  std::string name, value, description;  // value: the default, or the --build-arg given
  int line = 0;
};

struct OutlineSecret {
  std::string id;
  bool required = false;
};

struct StageInfo {
  std::string name;  // "" for an unnamed stage
  std::string description;
  int line = 0;
  bool is_default = false;  // the last stage: what builds without --target
};

struct Outline {
  StageInfo target;
  std::vector<OutlineArg> args;         // the args the target and the stages it needs read, in line order
  std::vector<OutlineSecret> secrets;   // RUN --mount=type=secret ids, in line order
};

// Every stage, in order (for --call=targets).
std::vector<StageInfo> Targets(const Ast& ast);

// The outline of `target` ("" = the last stage). build_args override the defaults shown.
// Throws Error naming the target when no stage has that name.
Outline MakeOutline(const Ast& ast, const std::string& target, const std::vector<std::pair<std::string, std::string>>& build_args);

}  // namespace cairn::frontend
