#include "builder/epoch.h"

#include "base/error.h"

namespace cairn::builder {

static int64_t Parse(const std::string& text, const std::string& from) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    throw Error(from + ": SOURCE_DATE_EPOCH must be whole seconds since 1970 (got \"" + text + "\")");
  return std::stoll(text);
}

SourceDateEpoch ResolveSourceDateEpoch(const std::optional<std::string>& flag, const char* env_value) {
  if (flag) return {Parse(*flag, "--source-date-epoch"), "--source-date-epoch"};
  if (env_value && *env_value) return {Parse(env_value, "environment variable SOURCE_DATE_EPOCH"), "environment"};
  return {0, "default (0)"};
}

}  // namespace cairn::builder
