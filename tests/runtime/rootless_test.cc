// Rootless cairn (runtime/userns.h), through the real binary run as an unprivileged user: the
// same Dockerfile gives the same image digests as a root build, and a user without subordinate
// ids is told what to add. Runs as root (scripts/test): it creates the test users itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kUser = "cairn-rootless";     // has /etc/subuid and /etc/subgid entries
constexpr const char* kNoSubids = "cairn-nosubids";  // has none

// A Dockerfile that exercises what differs in a user namespace: RUN, chown to a non-zero id, a
// file deleted from the base (whiteout), a directory replaced (opaque).
constexpr const char* kDockerfile =
    "FROM busybox:latest\n"
    "RUN rm /bin/ls && mkdir -p /opt/d && echo a > /opt/d/a\n"
    "COPY --chown=1000:1000 hello.txt /hello.txt\n"
    "RUN rm -rf /opt/d && mkdir /opt/d && echo b > /opt/d/b && chown 1000:1000 /opt/d/b\n";

// For the copying snapshotter (runtime/snapshotter.h): a RUN that creates, changes and deletes
// files and directories of the base, COPY and WORKDIR writing over the base, and read-only views
// of a stage of several layers (COPY --from, RUN --mount=type=bind,from=).
constexpr const char* kCopyDockerfile =
    "FROM busybox:latest AS src\n"
    "RUN mkdir /made && echo made > /made/file && ln /made/file /made/link\n"
    "RUN echo more > /made/more\n"
    "FROM busybox:latest\n"
    "RUN mkdir -p /opt/keep /opt/gone /opt/again/old && echo k > /opt/keep/k && echo g > /opt/gone/g && "
    "echo o > /opt/again/old/o && echo 1 > /opt/again/one\n"
    "RUN rm /bin/ls && rm -rf /opt/gone && rm -rf /opt/again && mkdir -p /opt/again/new && echo n > /opt/again/new/n && "
    "echo changed >> /opt/keep/k && touch /etc/passwd && chmod 600 /etc/group && echo t > /tmp/t && rm /tmp/t && "
    "ln -s ../keep/k /opt/again/link && chown -R 1000:1000 /opt/again\n"
    "COPY --chown=1000:1000 hello.txt /opt/keep/k\n"
    "COPY hello.txt /etc/\n"
    "WORKDIR /srv/app\n"
    "COPY --from=src /made /from-src\n"
    "RUN --mount=type=bind,from=src,target=/mnt cat /mnt/made/file > made.txt && ls -l /mnt/made > /dev/null\n";

bool HasLine(const char* file, const std::string& prefix) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return true;
  return false;
}

// A system user: useradd gives subordinate ids to regular users only.
void EnsureUser(const char* name) {
  if (::getpwnam(name)) return;
  auto r = RunCommand({"useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name});
  if (r.exit_code != 0) throw std::runtime_error(std::string("useradd ") + name + ": " + r.err);
}

// Appends "name:start:65536" unless the user already has a line (idempotent).
void EnsureSubids(const char* name, const char* start) {
  for (const char* file : {"/etc/subuid", "/etc/subgid"}) {
    if (HasLine(file, std::string(name) + ":")) continue;
    std::ofstream(file, std::ios::app) << name << ":" << start << ":65536\n";
  }
}

// Drops the user's lines (only ever called for the test's own user).
void RemoveSubids(const char* name) {
  for (const char* file : {"/etc/subuid", "/etc/subgid"}) {
    if (!HasLine(file, std::string(name) + ":")) continue;
    std::ifstream in(file);
    std::string kept;
    for (std::string line; std::getline(in, line);)
      if (line.rfind(std::string(name) + ":", 0) != 0) kept += line + "\n";
    in.close();
    std::ofstream(file, std::ios::trunc) << kept;
  }
}

void Own(const std::string& path, const char* user) {
  const passwd* pw = ::getpwnam(user);
  if (!pw || ::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown " + path);
}

// `cairn args...` as `user`, with HOME=home, the extra "K=V" env, and no CAIRN_ROOT from the
// test's environment.
CommandResult CairnAs(const char* user, const std::string& home, const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {"setpriv", std::string("--reuid=") + user, std::string("--regid=") + user,
                                   "--init-groups", "env", "-u", "CAIRN_ROOT", "-u", "XDG_DATA_HOME",
                                   "HOME=" + home, "SOURCE_DATE_EPOCH=0"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(CAIRN_BINARY);
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

class RootlessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    EnsureUser(kUser);
    EnsureUser(kNoSubids);
    EnsureSubids(kUser, "300000");
    RemoveSubids(kNoSubids);
    // RUN's default network needs /dev/net/tun usable by the user, as Debian's udev rule makes it
    // (0666). This test machine has no udev and leaves it 0600: set it as a stock Debian has it.
    ::chmod("/dev/net/tun", 0666);
    dir_ = new TempDir();
    ::chmod(dir_->path().c_str(), 0755);
    WriteTextFile(*dir_ / "ctx/Dockerfile", kDockerfile);
    WriteTextFile(*dir_ / "ctx/hello.txt", "hello\n");
    WriteTextFile(*dir_ / "ctx-copy/Dockerfile", kCopyDockerfile);
    WriteTextFile(*dir_ / "ctx-copy/hello.txt", "hello\n");
    MakeDirs(*dir_ / "home");
    Own(*dir_ / "home", kUser);
    // The rootless store is the user's default one: $HOME/.local/share/cairn.
    TempDir busybox;
    auto made = RunCommand({std::string(CAIRN_SOURCE_DIR) + "/tests/support/busybox-rootfs", busybox / "rootfs",
                            *dir_ / "busybox.tar"});
    if (made.exit_code != 0) throw std::runtime_error("busybox-rootfs failed: " + made.err);
    ::chmod((*dir_ / "busybox.tar").c_str(), 0644);
    imported_ = CairnAs(kUser, *dir_ / "home", {"import", *dir_ / "busybox.tar", "busybox:latest"});
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create the test users";
    ASSERT_EQ(imported_.exit_code, 0) << imported_.err;
  }

  static std::string Home() { return *dir_ / "home"; }
  static std::string UserStore() { return *dir_ / "home/.local/share/cairn"; }

  static TempDir* dir_;
  static CommandResult imported_;
};

TempDir* RootlessTest::dir_ = nullptr;
CommandResult RootlessTest::imported_;

TEST_F(RootlessTest, BuildGivesTheSameDigestsAsRoot) {
  TempDir root_store;
  ImportBusybox(root_store.path());
  auto as_root = Cairn(root_store.path(), {"build", "--metadata-file", root_store / "meta.json", "-t", "t:1",
                                           *dir_ / "ctx"}, {"SOURCE_DATE_EPOCH=0"});
  ASSERT_EQ(as_root.exit_code, 0) << as_root.err;

  auto rootless = CairnAs(kUser, Home(), {"build", "--metadata-file", Home() + "/meta.json", "-t", "t:1", *dir_ / "ctx"});
  ASSERT_EQ(rootless.exit_code, 0) << rootless.err;
  // The store is the user's own default one, owned by the user on the host.
  struct stat st;
  ASSERT_EQ(::stat((UserStore() + "/index.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getpwnam(kUser)->pw_uid);

  // Config digest and manifest digest alike.
  std::string expected = ReadFile(root_store / "meta.json");
  EXPECT_THAT(expected, HasSubstr("containerimage.digest"));
  EXPECT_EQ(ReadFile(Home() + "/meta.json"), expected);
}

// Where overlay cannot be mounted, steps run on copies of their parent's tree (CAIRN_SNAPSHOTTER=copy
// forces that here): the image is the one the overlay build gives, as root and rootless.
TEST_F(RootlessTest, CopyingSnapshotterGivesTheSameDigestsAsOverlay) {
  TempDir root_store;
  ImportBusybox(root_store.path());
  auto build = [&](const std::string& meta, const std::string& snapshotter) {
    return Cairn(root_store.path(), {"build", "--no-cache", "--metadata-file", meta, "-t", "c:1", *dir_ / "ctx-copy"},
                 {"SOURCE_DATE_EPOCH=0", "CAIRN_SNAPSHOTTER=" + snapshotter});
  };
  auto overlay = build(root_store / "overlay.json", "overlay");
  ASSERT_EQ(overlay.exit_code, 0) << overlay.err;
  auto copy = build(root_store / "copy.json", "copy");
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  auto rootless = CairnAs(kUser, Home(), {"build", "--no-cache", "--metadata-file", Home() + "/copy.json", "-t", "c:1",
                                          *dir_ / "ctx-copy"}, {"CAIRN_SNAPSHOTTER=copy"});
  ASSERT_EQ(rootless.exit_code, 0) << rootless.err;

  std::string expected = ReadFile(root_store / "overlay.json");
  EXPECT_THAT(expected, HasSubstr("containerimage.digest"));
  EXPECT_EQ(ReadFile(root_store / "copy.json"), expected);
  EXPECT_EQ(ReadFile(Home() + "/copy.json"), expected);

  // What the steps left, seen through `cairn run` on copies as well.
  auto r = CairnAs(kUser, Home(), {"run", "--rm", "c:1", "sh", "-c",
                                   "ls /opt; ls /opt/again; cat /opt/keep/k made.txt /from-src/more; stat -c %u /opt/again/new/n; "
                                   "test -e /bin/ls || echo no-ls; pwd"}, {"CAIRN_SNAPSHOTTER=copy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "again\nkeep\nlink\nnew\nhello\nmade\nmore\n1000\nno-ls\n/srv/app\n");
  // The scratch space holds nothing afterwards: no copied tree is left behind.
  EXPECT_TRUE(ListDir(UserStore() + "/tmp").empty());
}

// A store on a file system overlay cannot write to (an overlay itself: cairn in a container) with
// no CAIRN_SNAPSHOTTER: the probe fails, the user is told once, steps run on copies, and the image
// is the one a store on ext4 gives.
TEST_F(RootlessTest, StoreOnOverlayFallsBackToCopies) {
  TempDir plain;
  ImportBusybox(plain.path());
  auto expected = Cairn(plain.path(), {"build", "--metadata-file", plain / "meta.json", "-t", "c:1", *dir_ / "ctx-copy"},
                        {"SOURCE_DATE_EPOCH=0"});
  ASSERT_EQ(expected.exit_code, 0) << expected.err;

  // This test process's own mount namespace (each test runs in a process of its own), so the
  // overlay is gone when it exits, whatever happens; cairn, its child, sees it.
  TempDir ov;
  for (const char* d : {"l", "u", "w", "m"}) MakeDirs(ov / d);
  ASSERT_EQ(::unshare(CLONE_NEWNS), 0);
  ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
  std::string options = "lowerdir=" + (ov / "l") + ",upperdir=" + (ov / "u") + ",workdir=" + (ov / "w");
  ASSERT_EQ(::mount("overlay", (ov / "m").c_str(), "overlay", 0, options.c_str()), 0) << std::strerror(errno);
  std::string store = ov / "m/store";
  ImportBusybox(store);
  auto copied = Cairn(store, {"build", "--progress", "plain", "--metadata-file", ov / "meta.json", "-t", "c:1",
                              *dir_ / "ctx-copy"}, {"SOURCE_DATE_EPOCH=0"});
  // The layer deleting /bin/ls, unpacked in this store (its whiteout as the marked empty file of
  // base/overlay_marks.h), still hides it from a container.
  auto ran = Cairn(store, {"run", "--rm", "c:1", "sh", "-c", "test -e /bin/ls || echo no-ls; ls /opt"});
  ::umount2((ov / "m").c_str(), MNT_DETACH);
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_EQ(ran.out, "no-ls\nagain\nkeep\n") << ran.err;
  std::string said = copied.out + copied.err;
  // The cause, and the fix: a store on overlay itself cannot hold overlay's upper dirs.
  EXPECT_THAT(said, HasSubstr("note: the store " + store + " is on overlayfs"));
  EXPECT_THAT(said, HasSubstr("Put the store on a volume"));
  EXPECT_EQ(said.find("is on overlayfs"), said.rfind("is on overlayfs"));  // once, not per step
  EXPECT_EQ(ReadFile(ov / "meta.json"), ReadFile(plain / "meta.json"));
}

TEST_F(RootlessTest, RunSeesImageOwnersInsideAUserNamespace) {
  auto built = CairnAs(kUser, Home(), {"build", "-t", "t:run", *dir_ / "ctx"});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  auto r = CairnAs(kUser, Home(), {"run", "--rm", "t:run", "sh", "-c",
                                   "stat -c %u:%g /hello.txt /opt/d/b; cat /hello.txt; ls /opt/d; "
                                   "test -e /bin/ls || echo no-ls; id -u; cat /proc/self/uid_map"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream out(r.out);
  std::vector<std::string> lines;
  for (std::string l; std::getline(out, l);) lines.push_back(l);
  ASSERT_GE(lines.size(), 7u) << r.out;
  EXPECT_EQ(lines[0], "1000:1000");
  EXPECT_EQ(lines[1], "1000:1000");
  EXPECT_EQ(lines[2], "hello");
  EXPECT_EQ(lines[3], "b");  // the opaque directory hides the base's /opt/d/a
  EXPECT_EQ(lines[4], "no-ls");
  EXPECT_EQ(lines[5], "0");
  // Root in the container is the user on the host, not the host's root.
  EXPECT_THAT(lines[6], ::testing::Not(::testing::MatchesRegex(" *0 +0 +4294967295")));
}

TEST_F(RootlessTest, HostNetworkStillGetsAReadOnlySys) {
  // sysfs cannot be mounted in a network namespace the user namespace does not own: a read-only
  // bind of the host's /sys stands in.
  auto r = CairnAs(kUser, Home(), {"run", "--rm", "--network", "host", "busybox:latest", "sh", "-c",
                                   "test -d /sys/class && ! touch /sys/x 2>/dev/null && echo ro-sys"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ro-sys"));
}

// The same default network as root: eth0 on cairn's slirp4netns, the fixed resolver, and the
// host's loopback out of reach (its 127.0.0.1 server through slirp's gateway).
TEST_F(RootlessTest, RunGetsTheOutboundNetworkAsRootDoes) {
  auto r = CairnAs(kUser, Home(), {"run", "--rm", "busybox:latest", "sh", "-c",
                                   "ls /sys/class/net | tr '\\n' ' '; cat /etc/resolv.conf; ip route | head -1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "eth0 lo nameserver 10.0.2.3\ndefault via 10.0.2.2 dev eth0 \n");
}

// Image verbs need no namespace (runtime/isolation.h): they work; a build with RUN fails before
// its first step, saying what to add.
TEST_F(RootlessTest, UserWithoutSubordinateIdsIsToldWhatToAdd) {
  if (HasLine("/etc/subuid", std::string(kNoSubids) + ":")) GTEST_SKIP() << kNoSubids << " has subuids here";
  MakeDirs(*dir_ / "nohome");
  RunCommand({"chown", kNoSubids, *dir_ / "nohome"});
  auto images = CairnAs(kNoSubids, *dir_ / "nohome", {"images"});
  EXPECT_EQ(images.exit_code, 0) << images.err;
  WriteTextFile(*dir_ / "ctx-scratch-run/Dockerfile", "FROM scratch\nRUN true\n");
  auto r = CairnAs(kNoSubids, *dir_ / "nohome", {"build", *dir_ / "ctx-scratch-run"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Dockerfile:2: RUN true: RUN cannot run here"));
  EXPECT_THAT(r.err, HasSubstr("has no subordinate ids in /etc/subuid"));
  EXPECT_THAT(r.err, HasSubstr("to /etc/subuid and /etc/subgid"));
  EXPECT_THAT(r.err, HasSubstr(kNoSubids));
}

}  // namespace
}  // namespace cairn::testing
