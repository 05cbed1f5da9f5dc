#include "builder/step_error.h"

namespace cairn::builder {

std::string StepWhere(const plan::Step& step) {
  return plan::Where(step.location);
}

Error StepError(const plan::Step& step, const std::string& why) {
  if (why.rfind(StepWhere(step), 0) == 0) return Error(why);
  std::string text = StepWhere(step) + step.display + ": " + why;
  size_t first_line_end = std::min(text.find('\n'), text.size());
  std::string number = std::to_string(step.location.line);
  // Long instructions are cut, as the parser's snippets are, so a message stays readable.
  std::string shown = step.display.size() > 160 ? step.display.substr(0, 160) + "..." : step.display;
  std::string snippet = "\n " + number + " | " + shown + "\n " + std::string(number.size(), ' ') + " | ^";
  return Error(text.substr(0, first_line_end) + snippet + text.substr(first_line_end));
}

}  // namespace cairn::builder
