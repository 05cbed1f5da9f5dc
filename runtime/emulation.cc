#include "runtime/emulation.h"

#include <sstream>

#include "base/fs.h"

namespace cairn::runtime {

bool RunsNatively(const Platform& p, const Platform& host) {
  if (p.architecture == host.architecture) return true;
  return p.architecture == "386" && host.architecture == "amd64";  // x86-64 kernels run i386 programs
}

std::string EmulationProblem(const Platform& p, const Platform& host, const std::string& binfmt_dir) {
  if (RunsNatively(p, host)) return "";
  std::string name = "qemu-" + QemuName(p);
  std::string install = "install Debian's qemu-user-static (apt-get install qemu-user-static binfmt-support), "
                        "which registers " + name + " with the F flag";
  if (!PathExists(binfmt_dir + "/register"))
    return "RUN for " + ToString(p) + " on this " + ToString(host) + " machine needs binfmt_misc, which is not mounted at " +
           binfmt_dir + ": mount it (mount -t binfmt_misc binfmt_misc " + binfmt_dir + ") and " + install;
  std::string entry = binfmt_dir + "/" + name;
  if (!PathExists(entry))
    return "RUN for " + ToString(p) + " on this " + ToString(host) + " machine needs an emulator: no binfmt_misc handler " +
           name + " is registered; " + install;
  std::istringstream text(ReadFile(entry));
  std::string line, flags;
  bool enabled = false;
  while (std::getline(text, line)) {
    if (line == "enabled") enabled = true;
    if (line.rfind("flags: ", 0) == 0) flags = line.substr(7);
  }
  if (!enabled)
    return "RUN for " + ToString(p) + ": the binfmt_misc handler " + name + " is disabled; enable it (update-binfmts --enable " +
           name + ")";
  if (flags.find('F') == std::string::npos)
    return "RUN for " + ToString(p) + ": the binfmt_misc handler " + name + " was registered without the F flag, so its "
           "emulator cannot be found inside the container; " + install + " (qemu-user's own registration lacks F)";
  return "";
}

}  // namespace cairn::runtime
