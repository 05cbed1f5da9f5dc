#include "cli/security_opt.h"

#include "base/error.h"

namespace cairn::cli {

SecurityOpts ParseSecurityOpts(const std::vector<std::string>& values) {
  SecurityOpts opts;
  for (const auto& v : values) {
    std::string key = v.substr(0, v.find_first_of("=:"));
    std::string value = key.size() < v.size() ? v.substr(key.size() + 1) : "true";
    if (key == "no-new-privileges" && (value == "true" || value == "false")) {
      opts.no_new_privileges = value == "true";
      continue;
    }
    throw Error("--security-opt " + v +
                ": not supported (cairn knows no-new-privileges[=true|false]; its seccomp profile and "
                "capabilities are docker's defaults)");
  }
  return opts;
}

}  // namespace cairn::cli
