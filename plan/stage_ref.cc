#include "plan/stage_ref.h"

namespace cairn::plan {

std::string KeyText(const StageRef& ref) {
  if (const int* index = ref.stage()) return "stage:" + std::to_string(*index);
  return *ref.image();
}

std::ostream& operator<<(std::ostream& out, const StageRef& ref) { return out << KeyText(ref); }

}  // namespace cairn::plan
