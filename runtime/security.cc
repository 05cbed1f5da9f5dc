#include "runtime/security.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <string_view>

#include "base/error.h"
#include "base/fs.h"
#include "runtime/seccomp_profile.h"

namespace cairn::runtime {

namespace {

// Docker's default set (moby oci/caps/defaults.go), which images and build scripts expect.
constexpr int kDefaultCaps[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,     CAP_MKNOD,
    CAP_NET_RAW, CAP_SETGID,       CAP_SETUID,           CAP_SETFCAP,    CAP_SETPCAP,
    CAP_NET_BIND_SERVICE,          CAP_SYS_CHROOT,       CAP_KILL,       CAP_AUDIT_WRITE,
};

using Filter = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

void Check(int rc, const std::string& what) {
  if (rc < 0) throw SysError("seccomp: " + what, "", -rc);
}

uint32_t ArgOp(SeccompArg::Op op) {
  switch (op) {
    case SeccompArg::kEq: return SCMP_CMP_EQ;
    case SeccompArg::kNe: return SCMP_CMP_NE;
    default: return SCMP_CMP_MASKED_EQ;
  }
}

void AddRule(scmp_filter_ctx ctx, const SeccompRule& rule) {
  int nr = seccomp_syscall_resolve_name(rule.name);
  // Unknown to this libseccomp: the kernel's answer is then the default, EPERM (Docker's
  // profile on an older libseccomp behaves the same).
  if (nr == __NR_SCMP_ERROR) return;
  uint32_t action = rule.errno_ret ? SCMP_ACT_ERRNO(static_cast<uint32_t>(rule.errno_ret)) : SCMP_ACT_ALLOW;
  int rc;
  if (rule.arg.op == SeccompArg::kNone) {
    rc = seccomp_rule_add(ctx, action, nr, 0);
  } else {
    scmp_arg_cmp cmp{rule.arg.index, static_cast<scmp_compare>(ArgOp(rule.arg.op)), rule.arg.value,
                     rule.arg.expected};
    if (rule.arg.op != SeccompArg::kMaskedEq) cmp.datum_b = 0;
    rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
  }
  if (rc == -EDOM || rc == -EOPNOTSUPP) return;  // does not exist on these architectures
  Check(rc, std::string("rule for ") + rule.name);
}

// The call returns 0 without running (SCMP_ACT_ERRNO(0) is "no error").
void AddReturnZero(scmp_filter_ctx ctx, const char* name) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), nr, 0);
  if (rc == -EDOM || rc == -EOPNOTSUPP) return;  // does not exist on these architectures
  Check(rc, std::string("rule for ") + name);
}

std::vector<sock_filter> Export(scmp_filter_ctx ctx) {
  UniqueFd fd(::memfd_create("cairn-seccomp", MFD_CLOEXEC));
  if (!fd) throw SysError("memfd_create", "cairn-seccomp");
  Check(seccomp_export_bpf(ctx, fd.get()), "export");
  off_t size = ::lseek(fd.get(), 0, SEEK_CUR);
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(fd.get(), program.data(), program.size() * sizeof(sock_filter), 0) !=
      static_cast<ssize_t>(program.size() * sizeof(sock_filter)))
    throw SysError("read", "seccomp program");
  return program;
}

}  // namespace

unsigned long long DefaultCapabilityMask() {
  unsigned long long mask = 0;
  for (int cap : kDefaultCaps) mask |= 1ULL << cap;
  return mask;
}

// The calls that only wait for written data to reach the disk.
static bool IsSyncCall(std::string_view name) {
  for (std::string_view sync : {"fsync", "fdatasync", "sync_file_range", "sync_file_range2", "syncfs", "sync"})
    if (name == sync) return true;
  return false;
}

std::vector<sock_filter> DefaultSeccompProgram(bool syncs_return_at_once) {
  // Docker's "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1.
  Filter ctx(seccomp_init(SCMP_ACT_ERRNO(EPERM)), seccomp_release);
  if (!ctx) throw Error("seccomp: cannot create a filter (libseccomp)");
  // 32-bit x86 programs reach the kernel through other syscall numbers: filter those too
  // (otherwise libseccomp kills any process that uses another architecture).
  if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
    Check(seccomp_arch_add(ctx.get(), SCMP_ARCH_X86), "add x86");
    Check(seccomp_arch_add(ctx.get(), SCMP_ARCH_X32), "add x32");
  }
  // A binary search over syscall numbers instead of a linear scan of ~350 allowed calls.
  (void)seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const SeccompRule& rule : DockerDefaultRules())
    if (!syncs_return_at_once || !IsSyncCall(rule.name)) AddRule(ctx.get(), rule);
  if (syncs_return_at_once)
    for (const SeccompRule& rule : DockerDefaultRules())
      if (IsSyncCall(rule.name)) AddReturnZero(ctx.get(), rule.name);
  return Export(ctx.get());
}

int InstallSeccomp(const std::vector<sock_filter>& program, const char** what) {
  if (program.empty()) return 0;
  *what = "install seccomp filter";
  sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  // Installed while still holding CAP_SYS_ADMIN, so no_new_privs is not needed and setuid
  // programs keep working inside, as under Docker.
  return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 ? 0 : errno;
}

int SetNoNewPrivileges(const char** what) {
  *what = "prctl PR_SET_NO_NEW_PRIVS";
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno;
}

unsigned long long HeldCapabilityMask() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) throw SysError("capget", "");
  return static_cast<unsigned long long>(data[0].permitted) | static_cast<unsigned long long>(data[1].permitted) << 32;
}

int DropBoundingSet(unsigned long long keep, const char** what) {
  *what = "drop capabilities from the bounding set";
  for (int cap = 0; cap < 64; ++cap) {
    int in_set = ::prctl(PR_CAPBSET_READ, cap);
    if (in_set < 0) break;  // past the kernel's last capability
    if (in_set == 0 || (keep & (1ULL << cap))) continue;
    if (::prctl(PR_CAPBSET_DROP, cap) != 0) return errno;
  }
  return 0;
}

int SetCapabilities(uid_t uid, unsigned long long caps, const char** what) {
  *what = "set capabilities";
  unsigned long long set = uid == 0 ? caps : 0;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = static_cast<__u32>(set);
  data[1].effective = data[1].permitted = static_cast<__u32>(set >> 32);
  if (::syscall(SYS_capset, &header, data) != 0) return errno;
  // Ambient capabilities would survive execve for non-root users: there are none.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  return 0;
}

int SetResourceLimits(const char** what) {
  *what = "set RLIMIT_NOFILE";
  rlimit lim;
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return errno;
  lim.rlim_cur = lim.rlim_max < 1024 ? lim.rlim_max : 1024;
  return ::setrlimit(RLIMIT_NOFILE, &lim) == 0 ? 0 : errno;
}

}  // namespace cairn::runtime
