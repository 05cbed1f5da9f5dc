// Builds the container's file system tree inside its private mount namespace.
//
// Order matters: everything that needs a host path (the overlay's directories, /dev nodes, the
// generated files, bind sources) is opened as a detached mount before pivot_root; everything that
// names a path inside the container is attached after it, so a symlink in the image resolves
// inside the container and can never point a mount at the host.
#include <errno.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "runtime/child_steps.h"
#include "runtime/child_support.h"
#include "runtime/userns.h"

namespace cairn::runtime::child {

namespace {

// The device nodes every container has (the OCI runtime spec's default devices).
constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};
constexpr int kDeviceCount = sizeof kDevices / sizeof kDevices[0];
constexpr int kMaxFiles = 8;

// runc's defaults: kernel information a container has no business reading...
constexpr const char* kMaskedPaths[] = {
    "/proc/acpi",        "/proc/asound",     "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",        "/sys/firmware",    "/sys/devices/virtual/powercap",
};
// ...and kernel knobs it must not turn.
constexpr const char* kReadOnlyPaths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

// The root is nodev: CAP_MKNOD (docker's default set) lets a RUN make device nodes, which a
// layer may carry, but opening one must not reach the host's disks (docker relies on the device
// cgroup for this; a mount flag needs no cgroup and holds in every kernel).
constexpr unsigned long kRootFlags = MS_NODEV;

struct Detached {
  int devices[kDeviceCount];
  int files[kMaxFiles];
};

int OpenTree(const char* path, bool recursive) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  int fd = ::open_tree(AT_FDCWD, path, flags);
  if (fd < 0) Fail(errno, "open_tree ", path);
  return fd;
}

void MakeReadOnly(int tree, const char* what) {
  mount_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_RDONLY;
  Must(::mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr), "make read-only ", what);
}

void Attach(int tree, const char* target) {
  Must(::move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), "bind mount on ", target);
  ::close(tree);
}

// A private tmpfs on the (empty) host scratch dir holds the root mount point and the generated
// files; it exists only in this namespace, so nothing is left on the host when the container ends.
void PrepareScratch(const ChildPlan& plan) {
  Must(::mount("tmpfs", plan.scratch.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"),
       "mount tmpfs on ", plan.scratch.c_str());
  Must(::mkdir(plan.root.c_str(), 0755), "mkdir ", plan.root.c_str());
  if (!plan.empty_lower.empty()) Must(::mkdir(plan.empty_lower.c_str(), 0755), "mkdir ", plan.empty_lower.c_str());
  for (const auto& f : plan.files)
    if (int err = WriteWholeFile(f.scratch.c_str(), f.content.data(), f.content.size(), 0644))
      Fail(err, "write ", f.scratch.c_str());
  for (const auto& l : plan.layered) {
    if (l.options.empty()) continue;  // the copying snapshotter made it on the host
    for (const std::string* d : {&l.dir, &l.merged, &l.upper, &l.work}) Must(::mkdir(d->c_str(), 0755), "mkdir ", d->c_str());
    Must(::mount("overlay", l.merged.c_str(), "overlay", 0, l.options.c_str()), "mount overlay for ", l.target.c_str());
  }
}

// More layers than one page of options can name: the new mount API takes them one at a time
// ("lowerdir+", Linux 6.8 and later).
void MountOverlayByLayer(const ChildPlan& plan) {
  const char* what = "mount overlay layer by layer on ";
  int fs = ::fsopen("overlay", FSOPEN_CLOEXEC);
  if (fs < 0) Fail(errno, what, plan.root.c_str(), plan.overlay_dirs.c_str());
  for (const auto& lower : plan.overlay_lowers)
    Must(::fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lower.c_str(), 0), what, "lowerdir+ ", lower.c_str());
  const char* params[][2] = {{"upperdir", plan.overlay_upper.c_str()}, {"workdir", plan.overlay_work.c_str()},
                             {"index", "off"}, {"redirect_dir", OverlayRedirectDir()}, {"metacopy", "off"}};
  for (auto& p : params) Must(::fsconfig(fs, FSCONFIG_SET_STRING, p[0], p[1], 0), what, p[0], plan.overlay_dirs.c_str());
  if (*OverlayUserxattr())  // rootless: opaque markers in user.overlay.* (runtime/userns.h)
    Must(::fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", nullptr, 0), what, "userxattr", plan.overlay_dirs.c_str());
  Must(::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0), what, plan.root.c_str(), plan.overlay_dirs.c_str());
  int mnt = ::fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);  // as kRootFlags
  if (mnt < 0) Fail(errno, what, plan.root.c_str(), plan.overlay_dirs.c_str());
  ::close(fs);
  Attach(mnt, plan.root.c_str());
}

// The copying snapshotter (runtime/snapshotter.h): the merged tree Run() copied is the root, and
// the container writes into it directly. A bind mount, nodev as the overlay root is.
void BindCopiedRoot(const ChildPlan& plan) {
  int tree = OpenTree(plan.copy_root.c_str(), false);
  mount_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_NODEV;  // as kRootFlags
  Must(::mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr), "make nodev ", plan.copy_root.c_str());
  Must(::move_mount(tree, "", AT_FDCWD, plan.root.c_str(), MOVE_MOUNT_F_EMPTY_PATH), "bind mount the copied root ",
       plan.copy_root.c_str());
  ::close(tree);
}

void MountOverlay(const ChildPlan& plan) {
  if (!plan.copy_root.empty()) return BindCopiedRoot(plan);
  if (plan.overlay_options.empty()) return MountOverlayByLayer(plan);
  if (!plan.overlay_cwd.empty()) Must(::chdir(plan.overlay_cwd.c_str()), "chdir ", plan.overlay_cwd.c_str());
  Must(::mount("overlay", plan.root.c_str(), "overlay", kRootFlags, plan.overlay_options.c_str()),
       "mount overlay on ", plan.root.c_str(), plan.overlay_dirs.c_str());
}

Detached DetachHostTrees(ChildPlan& plan) {
  Detached d;
  for (int i = 0; i < kDeviceCount; ++i) {
    char path[64] = "/dev/";
    Append(path, sizeof path, kDevices[i]);
    d.devices[i] = OpenTree(path, false);
  }
  for (size_t i = 0; i < plan.files.size() && i < kMaxFiles; ++i) d.files[i] = OpenTree(plan.files[i].scratch.c_str(), false);
  for (size_t i = 0; i < plan.binds.size(); ++i) {
    const PlannedBind& b = plan.binds[i];
    plan.bind_fds[i] = OpenTree(b.source.c_str(), true);  // recursive, as docker's -v
    if (b.read_only) MakeReadOnly(plan.bind_fds[i], b.source.c_str());
  }
  for (size_t i = 0; i < plan.layered.size(); ++i) {
    const PlannedLayered& l = plan.layered[i];
    int root = ::open(l.merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) Fail(errno, "open ", l.merged.c_str());
    // The subpath resolves as if the stack were "/": its symlinks cannot reach the host.
    open_how how;
    std::memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int sub = static_cast<int>(::syscall(SYS_openat2, root, l.subpath.c_str(), &how, sizeof how));
    if (sub < 0) Fail(errno, "mount source ", l.subpath.c_str(), " (in the mount's source tree)");
    struct stat st;
    Must(::fstat(sub, &st), "stat mount source ", l.subpath.c_str());
    plan.layered_is_dir[i] = S_ISDIR(st.st_mode) ? 1 : 0;
    int tree = ::open_tree(sub, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
    if (tree < 0) Fail(errno, "open_tree ", l.subpath.c_str(), " (mount source)");
    if (!l.writable) MakeReadOnly(tree, l.target.c_str());
    plan.layered_fds[i] = tree;
    ::close(sub);
    ::close(root);
  }
  return d;
}

// pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves only the
// container's tree, with no path back to the host. Where pivot_root is refused (docker's seccomp
// profile with --cap-add SYS_ADMIN; a root on initramfs) the tree is moved over "/" and chrooted
// into, as runc does then (its msMoveRoot): the host's tree stays below it, out of the
// container's reach.
void PivotInto(const ChildPlan& plan) {
  Must(::chdir(plan.root.c_str()), "chdir ", plan.root.c_str());
  if (::syscall(SYS_pivot_root, ".", ".") == 0) {
    Must(::umount2(".", MNT_DETACH), "detach the old root");
  } else {
    int err = errno;
    if (err != EPERM && err != EINVAL) Fail(err, "pivot_root into ", plan.root.c_str());
    Must(::mount(".", "/", nullptr, MS_MOVE, nullptr), "move the root over / (pivot_root refused)");
    Must(::chroot("."), "chroot into the moved root");
  }
  Must(::chdir("/"), "chdir /");
}

void MountPoint(const char* dir) {
  if (int err = MakeDirs(dir, 0755)) Fail(err, "mkdir ", dir);
}

void MountDev(const Detached& d, const ChildPlan& plan) {
  MountPoint("/dev");
  // nodev: a node made here does not open (see kRootFlags); the standard nodes are bind mounts
  // of the host's, which keep their own mount's flags.
  Must(::mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=755,size=65536k"),
       "mount tmpfs on /dev");
  for (int i = 0; i < kDeviceCount; ++i) {
    char path[64] = "/dev/";
    Append(path, sizeof path, kDevices[i]);
    if (int err = MakeFile(path, 0666)) Fail(err, "create ", path);
    Attach(d.devices[i], path);
  }
  MountPoint("/dev/pts");
  Must(::mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"),
       "mount devpts on /dev/pts");
  MountPoint("/dev/shm");
  Must(::mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, plan.shm_options.c_str()),
       "mount tmpfs on /dev/shm");
  MountPoint("/dev/mqueue");
  Must(::mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount mqueue on /dev/mqueue");
  const char* links[][2] = {{"pts/ptmx", "/dev/ptmx"},         {"/proc/self/fd", "/dev/fd"},
                            {"/proc/self/fd/0", "/dev/stdin"},   {"/proc/self/fd/1", "/dev/stdout"},
                            {"/proc/self/fd/2", "/dev/stderr"},  {"/proc/kcore", "/dev/core"}};
  for (auto& l : links) Must(::symlink(l[0], l[1]), "symlink ", l[1]);
}

// Rootless (runtime/userns.h): a user namespace may mount proc and sysfs only while a full view
// of the host's is visible in its mount namespace (the kernel's mount_too_revealing), and sysfs
// only in a network namespace it owns, which --network=host is not. So there both are made as
// detached mounts before pivot_root drops the host's tree, and sysfs falls back to a read-only
// bind of the host's /sys. As root, -1: MountProcAndSys mounts them the plain way.
struct ProcAndSys {
  int proc = -1;
  int sys = -1;
};

int NewDetachedMount(const char* type, unsigned attrs) {
  int fs = ::fsopen(type, FSOPEN_CLOEXEC);
  if (fs < 0) return -errno;
  int mnt = ::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0 ? ::fsmount(fs, FSMOUNT_CLOEXEC, attrs) : -1;
  int err = errno;
  ::close(fs);
  return mnt >= 0 ? mnt : -err;
}

ProcAndSys DetachProcAndSys() {
  ProcAndSys t;
  if (!InUserNamespace()) return t;
  t.proc = NewDetachedMount("proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  // Inside a CI container the kernel refuses a new proc there, because the container's own has
  // masked paths (/proc/kcore bound over...): the container's /proc is bound instead, masks and
  // all. It shows the container's processes, not only the step's.
  if (t.proc == -EPERM) t.proc = OpenTree("/proc", true);
  if (t.proc < 0) Fail(-t.proc, "mount proc (in a user namespace)");
  t.sys = NewDetachedMount("sysfs", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (t.sys == -EPERM) {
    t.sys = OpenTree("/sys", true);
    MakeReadOnly(t.sys, "/sys");
  }
  if (t.sys < 0) Fail(-t.sys, "mount sysfs (in a user namespace)");
  return t;
}

void MountProcAndSys(const ProcAndSys& detached) {
  MountPoint("/proc");
  if (detached.proc >= 0)
    Attach(detached.proc, "/proc");
  else
    Must(::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount proc on /proc");
  MountPoint("/sys");
  if (detached.sys >= 0)
    Attach(detached.sys, "/sys");
  else
    Must(::mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr),
         "mount sysfs on /sys");
  // The container's own cgroup (a cgroup namespace root), read-only, as docker shows it. Best
  // effort: a host with only cgroup v1 has no cgroup2 to show, and nothing in a build needs it
  // (nor can a user namespace always mount it).
  ::mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
}

// The generated files replace the image's, but only where the image has an /etc: a FROM scratch
// image must not grow one.
void AttachFiles(const ChildPlan& plan, const Detached& d) {
  struct stat st;
  bool has_etc = ::stat("/etc", &st) == 0 && S_ISDIR(st.st_mode);
  for (size_t i = 0; i < plan.files.size() && i < kMaxFiles; ++i) {
    const char* target = plan.files[i].target.c_str();
    if (!has_etc) {
      ::close(d.files[i]);
      continue;
    }
    if (int err = MakeFile(target, 0644)) Fail(err, "create ", target);
    // A dangling symlink (resolv.conf -> /run/...) has nothing to mount on: keep the image's.
    if (::stat(target, &st) != 0) {
      ::close(d.files[i]);
      continue;
    }
    Attach(d.files[i], target);
  }
}

// Binds, tmpfs and layered mounts, parents first. Missing targets are created (they are stubs
// the builder keeps out of its layers).
void AttachMounts(const ChildPlan& plan) {
  for (const PlannedAttach& a : plan.attach_order) {
    if (a.kind == PlannedAttach::kTmpfs) {
      const PlannedTmpfs& t = plan.tmpfs[a.index];
      if (int err = MakeDirs(t.target.c_str(), 0755)) Fail(err, "create tmpfs mount target ", t.target.c_str());
      Must(::mount("tmpfs", t.target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, t.options.c_str()), "mount tmpfs on ",
           t.target.c_str());
      continue;
    }
    bool is_dir = a.kind == PlannedAttach::kBind ? plan.binds[a.index].source_is_dir : plan.layered_is_dir[a.index] != 0;
    const char* target = a.kind == PlannedAttach::kBind ? plan.binds[a.index].target.c_str() : plan.layered[a.index].target.c_str();
    int fd = a.kind == PlannedAttach::kBind ? plan.bind_fds[a.index] : plan.layered_fds[a.index];
    int err = is_dir ? MakeDirs(target, 0755) : MakeFile(target, 0644);
    if (err) Fail(err, "create bind mount target ", target);
    Attach(fd, target);
  }
}

void MaskPaths() {
  struct stat st;
  for (const char* p : kMaskedPaths) {
    if (::stat(p, &st) != 0) continue;  // not every kernel has every file
    if (S_ISDIR(st.st_mode))
      Must(::mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0"), "mask ", p);
    else
      Must(::mount("/dev/null", p, nullptr, MS_BIND, nullptr), "mask ", p);
  }
  for (const char* p : kReadOnlyPaths) {
    if (::stat(p, &st) != 0) continue;
    Must(::mount(p, p, nullptr, MS_BIND | MS_REC, nullptr), "bind ", p);
    Must(::mount(p, p, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr),
         "make read-only ", p);
  }
}

}  // namespace

void EnterChroot(const ChildPlan& plan) {
  Must(::chroot(plan.copy_root.c_str()), "chroot into ", plan.copy_root.c_str());
  Must(::chdir("/"), "chdir /");
  if (int err = MakeDirs(plan.cwd.c_str(), 0755)) Fail(err, "create working directory ", plan.cwd.c_str());
}

void SetUpRoot(ChildPlan& plan) {
  // Nothing we mount may propagate back to the host's mount namespace.
  Must(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make / private");
  PrepareScratch(plan);
  MountOverlay(plan);
  Detached detached = DetachHostTrees(plan);
  ProcAndSys proc_and_sys = DetachProcAndSys();
  PivotInto(plan);
  MountProcAndSys(proc_and_sys);
  MountDev(detached, plan);
  AttachFiles(plan, detached);
  AttachMounts(plan);
  MaskPaths();
  if (int err = MakeDirs(plan.cwd.c_str(), 0755)) Fail(err, "create working directory ", plan.cwd.c_str());
}

}  // namespace cairn::runtime::child
