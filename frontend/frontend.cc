#include "frontend/frontend.h"

#include "frontend/directives.h"
#include "frontend/instructions.h"
#include "frontend/lint.h"
#include "frontend/lower.h"
#include "frontend/parser.h"
#include "frontend/source_error.h"

namespace cairn::frontend {

plan::Plan BuildPlan(std::string_view dockerfile_text, const Options& options,
                     const ConfigResolver& resolve) {
  Ast ast = Parse(dockerfile_text, options.dockerfile_name);
  CheckOptions checks;
  try {
    checks = ParseCheckDirective(ast.directives.check);
  } catch (const Error& e) {
    throw LocatedError(ast.lines, {ast.file, ast.directives.check_line, 1}, e.what());
  }
  Dockerfile file = ParseDockerfile(ast);
  // Checks run before lowering so check=error=true fails without resolving any image.
  std::vector<std::string> lint = CheckWarnings(ast, checks);
  plan::Plan plan = Lower(file, options, resolve);
  plan.warnings.insert(plan.warnings.begin(), lint.begin(), lint.end());
  return plan;
}

}  // namespace cairn::frontend
