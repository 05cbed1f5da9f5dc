#include "runtime/chroot_root.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.h"
#include "base/fs.h"
#include "runtime/child_plan.h"

namespace cairn::runtime {

namespace {

// The OCI runtime spec's default devices, as runtime/child_root.cc binds them.
struct Device {
  const char* name;
  unsigned major, minor;
};
constexpr Device kDevices[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

// A directory of the copy, opened without following a symlink the image put there.
UniqueFd OpenDirIn(int parent, const char* name, const std::string& shown) {
  if (::mkdirat(parent, name, 0755) != 0 && errno != EEXIST) throw SysError("mkdir", shown);
  UniqueFd fd(::openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw SysError("open (a directory, not a symlink, is needed here)", shown);
  return fd;
}

void MakeDevices(int dev, const std::string& shown) {
  for (const Device& d : kDevices) {
    struct stat st;
    if (::fstatat(dev, d.name, &st, AT_SYMLINK_NOFOLLOW) == 0) continue;  // the image's own
    if (::mknodat(dev, d.name, S_IFCHR | 0666, makedev(d.major, d.minor)) != 0) {
      if (errno == EPERM) return;  // no CAP_MKNOD: /dev holds what the image had
      throw SysError("mknod", shown + "/" + d.name);
    }
    ::fchmodat(dev, d.name, 0666, 0);  // mknod's mode went through the umask
  }
  if (::mkdirat(dev, "shm", 01777) == 0) ::fchmodat(dev, "shm", 01777, 0);
}

// Replaces etc/NAME with a new file: an image's symlink there (resolv.conf -> /run/...) is
// removed, never written through.
void WriteEtcFile(int etc, const char* name, const std::string& content, const std::string& shown) {
  struct stat st;
  if (::fstatat(etc, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) return;  // nothing a container would have mounted on either
    if (::unlinkat(etc, name, 0) != 0) throw SysError("remove", shown + "/" + name);
  }
  UniqueFd fd(::openat(etc, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd || ::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    throw SysError("write", shown + "/" + name);
  ::fchmod(fd.get(), 0644);
}

std::string HostResolvConf() {
  try {
    return ReadFile("/etc/resolv.conf");
  } catch (const Error&) {
    return "";
  }
}

}  // namespace

void CheckChrootable(const ContainerSpec& spec, const std::string& why) {
  std::string what;
  if (!spec.binds.empty() || !spec.tmpfs.empty() || !spec.layered.empty()) what = "RUN --mount (and cairn run -v)";
  else if (spec.tty) what = "a terminal (cairn run -t)";
  else if (spec.network == Network::kLoopback) what = "--network none";
  if (what.empty()) return;
  throw Error(what + " needs namespaces, which this environment refuses (" + why +
              "); RUN steps here run chrooted (isolation chroot, runtime/isolation.h)");
}

void PrepareChrootRoot(const std::string& root, const ContainerSpec& spec) {
  UniqueFd top(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!top) throw SysError("open", root);
  MakeDevices(OpenDirIn(top.get(), "dev", root + "/dev").get(), root + "/dev");
  OpenDirIn(top.get(), "proc", root + "/proc");
  OpenDirIn(top.get(), "sys", root + "/sys");
  struct stat st;
  // As with namespaces: the generated files only where the image has an /etc.
  if (::fstatat(top.get(), "etc", &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) return;
  UniqueFd etc = OpenDirIn(top.get(), "etc", root + "/etc");  // O_PATH serves the *at calls below
  std::string hostname = spec.hostname.empty() ? "cairn" : spec.hostname;
  WriteEtcFile(etc.get(), "hosts", HostsFile(hostname, spec.extra_hosts), root + "/etc");
  WriteEtcFile(etc.get(), "hostname", hostname + "\n", root + "/etc");
  WriteEtcFile(etc.get(), "resolv.conf", HostResolvConf(), root + "/etc");
}

}  // namespace cairn::runtime
