#include "plan/plan.h"

namespace cairn::plan {

std::string Where(const Location& location) {
  return location.file + ":" + std::to_string(location.line) + ": ";
}

std::map<std::string, std::string> KeyedOptions(const RunMount& mount) {
  std::map<std::string, std::string> out = mount.options;
  if (mount.from) out["from"] = KeyText(*mount.from);
  return out;
}

}  // namespace cairn::plan
