// Runs one process isolated in a container. The spec is plain data; Run() does the rest.
//
// The container: new mount, PID, UTS, IPC, network and cgroup namespaces; an overlay root
// (lowerdirs read-only, upperdir receives every change; where overlay cannot be mounted, a copy
// of the merged lowers whose change is written into upperdir afterwards: runtime/snapshotter.h);
// pivot_root; fresh /proc; a minimal /dev
// (tmpfs with null, zero, full, random, urandom, tty, pts, shm); /sys read-only; a generated
// /etc/hosts, /etc/hostname and /etc/resolv.conf bind-mounted over the image's (their stubs never
// need to enter a layer: see MountPointStubs()); the network chosen by `network`. The whole tree
// dies with the caller (PR_SET_PDEATHSIG), and no mount outlives the container.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::runtime {

struct BindMount {
  std::string source;  // host path
  std::string target;  // path inside the container
  bool read_only = false;
};

// A tmpfs at target (created if missing), e.g. RUN --mount=type=tmpfs.
struct TmpfsMount {
  std::string target;       // inside the container
  uint64_t size_bytes = 0;  // 0 = the kernel's default (half of RAM)
  unsigned mode = 01777;
};

// A tree made of stacked directories (top-most first), e.g. another stage's root for RUN
// --mount=type=bind,from=stage, or the build context. subpath inside the stack is resolved
// inside it (a symlink there never leads out to the host). Writes, when allowed, land in the
// container's private tmpfs and vanish with it: the lower directories are never changed.
struct LayeredMount {
  std::vector<std::string> lowerdirs;  // host paths, top-most first; at least one
  std::string subpath;                 // relative to the stack's root; empty = the root
  std::string target;                  // inside the container
  bool writable = false;
};

// One setrlimit(2) in the container before exec (--ulimit).
struct ResourceLimit {
  int resource = 0;     // RLIMIT_*
  uint64_t soft = 0, hard = 0;  // RLIM_INFINITY for unlimited
  std::string name;     // docker's name, e.g. "nofile", for messages
};

// A container's network, as docker's --network none|default|host.
enum class Network {
  kLoopback,  // none: a network namespace of its own with only lo
  kOutbound,  // default: lo plus eth0 on cairn's slirp4netns hub (runtime/network.h)
  kHost,      // the host's network namespace, and the host's /etc/resolv.conf
};

struct ContainerSpec {
  // Overlay root. lowerdirs top-most first; may be empty (FROM scratch). upperdir and workdir must
  // be on the same file system and exist (relative paths are taken from the current directory). Run() briefly creates an empty directory
  // beside workdir (a mount point in the container's own namespace) and removes it on return.
  std::vector<std::string> lowerdirs;
  std::string upperdir;
  std::string workdir;

  std::vector<std::string> argv;  // argv[0] is looked up in the container's PATH if it has no '/'
  std::vector<std::string> env;   // the complete environment, "K=V"
  std::string cwd = "/";          // created if missing
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> supplementary_groups;
  std::string hostname = "cairn";
  Network network = Network::kLoopback;
  std::vector<BindMount> binds;  // files or directories, attached recursively
  std::vector<TmpfsMount> tmpfs;
  std::vector<LayeredMount> layered;
  // Mounts are attached in order of their target's depth (a parent before what lies below it).

  // The command's stdio; Run() does not close them. -1 = /dev/null.
  int stdin_fd = -1;
  int stdout_fd = 1;
  int stderr_fd = 2;

  // --security-opt no-new-privileges: setuid programs and file capabilities cannot raise the
  // command's privileges. Off by default, as in docker (sudo after USER keeps working).
  bool no_new_privileges = false;

  // fsync, fdatasync, sync_file_range, syncfs and sync return 0 at once, without writing
  // anything back (DefaultSeccompProgram(true)). For build steps (builder/run_step.cc says why).
  bool syncs_return_at_once = false;

  // --add-host: "IP\tHOST" lines appended to the generated /etc/hosts.
  std::vector<std::string> extra_hosts;
  // Size of the /dev/shm tmpfs in bytes; 0 = 64 MiB, docker's default.
  uint64_t shm_size = 0;
  // --ulimit: set just before exec, over cairn's default soft RLIMIT_NOFILE of 1024.
  std::vector<ResourceLimit> ulimits;

  // docker run -t: the command gets a terminal (a pty of the container's own /dev/pts) as stdin,
  // stdout and stderr, and is the leader of its session. Run() relays between stdin_fd and the
  // terminal, and from the terminal to stdout_fd; when stdin_fd is a terminal it is put in raw
  // mode for the duration and its window size is passed on (also on SIGWINCH).
  bool tty = false;
};

struct ExitStatus {
  int exit_code = 0;  // valid when signal == 0
  int signal = 0;     // the signal that killed the process, or 0
  bool ok() const { return signal == 0 && exit_code == 0; }
  // "exit code 2" / "killed by signal 9 (SIGKILL)"
  std::string Describe() const;
};

// Runs spec.argv to completion and returns how it ended. Throws cairn::Error if the container
// cannot be set up, with the child's own message ("container setup: mount overlay on ...: Invalid
// argument"). A command that cannot be executed is the command's failure, not a setup failure: it
// prints "cairn: exec NAME: REASON" on the command's stderr and exits 127 (126 when the file is
// not executable), as a shell would. Safe to call from several threads at once.
// Isolated as runtime/isolation.h chose for this process: at kChroot the command runs chrooted in
// a copy of the tree, without namespaces (a spec that needs them is an Error naming the option);
// at kNone it cannot run, and the Error says why.
ExitStatus Run(const ContainerSpec& spec);

// Paths the runtime may create in the upper dir as mount points; a snapshot leaves them out.
const std::vector<std::string>& MountPointStubs();

}  // namespace cairn::runtime
