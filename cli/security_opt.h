// --security-opt, shared by `cairn build` and `cairn run`: docker's spellings of the one option
// cairn has, no-new-privileges ("no-new-privileges", "no-new-privileges=true|false",
// "no-new-privileges:true|false").
#pragma once

#include <string>
#include <vector>

namespace cairn::cli {

struct SecurityOpts {
  bool no_new_privileges = false;
};

// Throws Error naming the option for anything else (seccomp=, apparmor=, label=...).
SecurityOpts ParseSecurityOpts(const std::vector<std::string>& values);

}  // namespace cairn::cli
