// cairn inside CI containers (runtime/isolation.h), through the real thing: the freshly built
// cairn runs inside containers that Debian's docker.io (a dockerd this test starts with
// --bridge=none --iptables=false) and podman start, in an image made from the Debian base with
// cairn's runtime libraries. Each setting builds examples/hello, a Dockerfile with USER, RUN and
// COPY steps and a COPY-only one, and must give the manifest digests the same builds give on
// the host. Skips, saying why, where docker, podman or the Debian base is missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kDockerd = "/usr/sbin/dockerd";
constexpr const char* kDocker = "/usr/bin/docker";  // Debian's client (not a newer one on PATH)
constexpr const char* kPodman = "/usr/bin/podman";
// Fully qualified: podman resolves short names against registries, not its own store, first.
constexpr const char* kImage = "docker.io/library/cairn-ci-test:latest";
const char* const kContexts[] = {"hello", "users", "copyonly", "debian"};

// A Dockerfile with USER, RUN and COPY steps: owners, modes and a non-root RUN must all come out
// as on the host, and so must a whiteout and an opaque directory that later steps build on.
constexpr const char* kUsersDockerfile = R"(FROM busybox
COPY message.txt /srv/
RUN mkdir -p /home/app && chown app:app /home/app && chmod 0750 /home/app
USER app
WORKDIR /home/app
RUN id > id.txt && cat /srv/message.txt > copy.txt && ls -ld /srv > srv.txt && umask > umask.txt
COPY --chown=app:app message.txt ./m2.txt
USER root
RUN ls -ln /home/app > /listing.txt && rm /bin/vi
RUN rm -rf /srv && mkdir /srv && echo new > /srv/only.txt
RUN ls -a /srv > /srv-listing.txt && test ! -e /bin/vi
)";

// What a non-root user can build where no namespace can be made.
constexpr const char* kCopyOnlyDockerfile = R"(FROM busybox
ENV APP=/srv/app
WORKDIR /srv/app
COPY a.txt ./
COPY sub/ ./sub/
COPY --chown=1000:1000 --chmod=0640 a.txt /srv/owned.txt
COPY --chown=1000:1000 sub/ /home/app/
CMD ["cat", "/srv/app/a.txt"]
)";

// On the Debian base (a real distribution's tree: device nodes in /dev, many files to copy).
constexpr const char* kDebianDockerfile = R"(FROM debian:bookworm
RUN ls /usr/bin > /usr-bin.txt && rm -rf /usr/share/doc && mkdir -p /srv && echo built > /srv/debian.txt
)";

// Runs inside each container: import the busybox base, build every context, write each build's
// metadata file and output to /out.
constexpr const char* kInsideScript = R"(cairn import /opt/ci/busybox.tar busybox:latest > /out/import.log 2>&1 || exit 3
for c in hello users copyonly; do
  cairn build --progress plain --metadata-file /out/$c.json -t $c /opt/ci/$c > /out/$c.log 2>&1
done
if [ -e /opt/debian.tar ]; then
  cairn load -i /opt/debian.tar > /out/load.log 2>&1
  cairn build --progress plain --metadata-file /out/debian.json -t debian /opt/ci/debian > /out/debian.log 2>&1
fi
cairn images > /out/images.log 2>&1
)";

std::string ManifestDigest(const std::string& metadata_file) {
  if (!PathExists(metadata_file)) return "";
  return nlohmann::json::parse(ReadFile(metadata_file)).value("containerimage.digest", "");
}

// The context directories: examples/hello, and the two Dockerfiles above.
void WriteContexts(const std::string& dir) {
  RunCommand({"cp", "-r", std::string(CAIRN_SOURCE_DIR) + "/examples/hello", dir + "/hello"});
  WriteTextFile(dir + "/users/Dockerfile", kUsersDockerfile);
  WriteTextFile(dir + "/users/message.txt", "from the context\n");
  WriteTextFile(dir + "/copyonly/Dockerfile", kCopyOnlyDockerfile);
  WriteTextFile(dir + "/copyonly/a.txt", "copied\n");
  WriteTextFile(dir + "/copyonly/sub/b.txt", "x\n");
  WriteTextFile(dir + "/debian/Dockerfile", kDebianDockerfile);
  for (const char* c : kContexts) RunCommand({"chmod", "-R", "a+rX", dir + "/" + c});
}

// The image's context: the Debian base, cairn and the libraries ldd names (at their real paths:
// Debian's /lib is a symlink to usr/lib), the busybox base as a tar, the build contexts.
std::string MakeImageContext(const std::string& dir) {
  WriteTextFile(dir + "/Dockerfile",
                "FROM debian:bookworm\nCOPY libs/ /\nCOPY cairn /usr/local/bin/cairn\nCOPY ci/ /opt/ci/\n");
  std::string script = "set -e; for lib in $(ldd " + std::string(CAIRN_BINARY) +
                       " | awk '$3 ~ /^\\// {print $3} $1 ~ /^\\// {print $1}'); do d=$(readlink -f $(dirname $lib)); "
                       "mkdir -p " + dir + "/libs$d; cp -L $lib " + dir + "/libs$d/; done";
  auto libs = RunCommand({"sh", "-c", script});
  if (libs.exit_code != 0) return "copy cairn's libraries: " + libs.err;
  RunCommand({"cp", CAIRN_BINARY, dir + "/cairn"});
  MakeDirs(dir + "/ci");
  auto busybox = RunCommand({std::string(CAIRN_SOURCE_DIR) + "/tests/support/busybox-rootfs", dir + "/rootfs",
                             dir + "/ci/busybox.tar"});
  if (busybox.exit_code != 0) return "busybox-rootfs: " + busybox.err;
  RunCommand({"rm", "-rf", dir + "/rootfs"});
  WriteContexts(dir + "/ci");
  return "";
}

class Dockerd {
 public:
  explicit Dockerd(const std::string& dir) : dir_(dir), host_("unix://" + dir + "/docker.sock") {
    MakeDirs(dir);
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string log = dir + "/dockerd.log";
      FILE* f = std::freopen(log.c_str(), "w", stdout);
      (void)f;
      ::dup2(1, 2);
      ::execl(kDockerd, kDockerd, "--bridge=none", "--iptables=false", "--ip-masq=false", "--data-root",
              (dir + "/data").c_str(), "--exec-root", (dir + "/exec").c_str(), "-H", host_.c_str(), "--pidfile",
              (dir + "/dockerd.pid").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pid_ = pid;
    for (int i = 0; i < 120 && !Ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ~Dockerd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool Ready() const { return Docker({"info"}).exit_code == 0; }
  CommandResult Docker(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {kDocker};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {"DOCKER_HOST=" + host_});
  }
  std::string Log() const { return ReadFile(dir_ + "/dockerd.log"); }

 private:
  std::string dir_, host_;
  pid_t pid_ = -1;
};

// One container run's results: each context's manifest digest ("" if it failed) and output.
struct Inside {
  std::map<std::string, std::string> digest, log;
  std::string images, run_output;
};

class CiContainers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string store = *dir_ / "host-store";
    skip_ = LoadDebianBase(store);
    if (skip_.empty()) setup_error_ = Prepare(store);
  }
  static void TearDownTestSuite() {
    delete dockerd_;
    dockerd_ = nullptr;
    if (!podman_root_.empty()) RunCommand({kPodman, "--root", podman_root_, "--runroot", podman_root_ + "-run", "system", "reset", "-f"});
    delete dir_;
    dir_ = nullptr;
  }

  // Makes the image (in `store`, which holds the Debian base) and the host's digests; returns
  // what failed, or "".
  static std::string Prepare(const std::string& store) {
    std::string ctx = *dir_ / "image";
    if (std::string why = MakeImageContext(ctx); !why.empty()) return why;
    auto built = Cairn(store, {"build", "-q", "-t", kImage, "-o", "type=docker,dest=" + (*dir_ / "image.tar"), ctx});
    if (built.exit_code != 0) return "cairn build of the CI image failed: " + built.err;
    auto saved = Cairn(store, {"save", "-o", *dir_ / "debian.tar", "debian:bookworm"});
    if (saved.exit_code != 0) return "cairn save debian:bookworm: " + saved.err;
    // The host's digests, as the same cairn gives them outside any container.
    ImportBusybox(*dir_ / "busybox-store");
    for (const char* c : kContexts) {
      std::string meta = *dir_ / (std::string("host-") + c + ".json");
      std::string host_store = std::string(c) == "debian" ? store : *dir_ / "busybox-store";
      auto r = Cairn(host_store, {"build", "-q", "--metadata-file", meta, "-t", c, ctx + "/ci/" + c});
      if (r.exit_code != 0) return std::string("host build of ") + c + " failed: " + r.err;
      host_digest_[c] = ManifestDigest(meta);
    }
    WriteTextFile(*dir_ / "inside.sh", kInsideScript);
    return "";
  }

  static Dockerd* StartDockerd() {
    if (!dockerd_ && ::access(kDockerd, X_OK) == 0 && ::access(kDocker, X_OK) == 0) {
      dockerd_ = new Dockerd(*dir_ / "docker");
      if (!dockerd_->Ready() || dockerd_->Docker({"load", "-i", *dir_ / "image.tar"}).exit_code != 0)
        docker_error_ = "dockerd did not start or load the image: " + dockerd_->Log();
    }
    return dockerd_;
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_EQ(setup_error_, "");
  }

  // Runs kInsideScript in a container started with `run_args` (between "run" and the image).
  // store_on_volume: /var/lib/cairn is a host directory (a volume) instead of the container root.
  // debian: the Debian base is loaded inside too and the "debian" context built.
  Inside RunInside(const std::vector<std::string>& engine, const std::vector<std::string>& run_args, bool store_on_volume,
                   bool non_root = false, bool debian = false) {
    TempDir out;
    RunCommand({"chmod", "0777", out.path()});
    std::vector<std::string> argv = engine;
    argv.insert(argv.end(), {"run", "--rm", "-v", out.path() + ":/out", "-v", *dir_ / "inside.sh" + ":/inside.sh:ro"});
    argv.insert(argv.end(), run_args.begin(), run_args.end());
    TempDir volume;
    if (store_on_volume) argv.insert(argv.end(), {"-v", volume.path() + ":/var/lib/cairn"});
    if (non_root) argv.insert(argv.end(), {"-u", "1000:1000", "-e", "HOME=/tmp"});
    if (debian) argv.insert(argv.end(), {"-v", *dir_ / "debian.tar" + ":/opt/debian.tar:ro"});
    argv.insert(argv.end(), {kImage, "sh", "/inside.sh"});
    Inside in;
    auto r = RunCommand(argv);
    // The engine failing to start the container (seen once under load: runc's "exec: sh:
    // executable file not found") is not what this tests: one more try.
    if (r.exit_code >= 125 && (r.out + r.err).find("OCI runtime") != std::string::npos) r = RunCommand(argv);
    in.run_output = r.out + r.err;
    for (const char* c : kContexts) {
      in.digest[c] = ManifestDigest(out / (std::string(c) + ".json"));
      in.log[c] = PathExists(out / (std::string(c) + ".log")) ? ReadFile(out / (std::string(c) + ".log")) : "";
    }
    in.images = PathExists(out / "images.log") ? ReadFile(out / "images.log") : "";
    return in;
  }

  Inside InDocker(const std::vector<std::string>& run_args, bool store_on_volume, bool non_root = false,
                  bool debian = false) {
    Dockerd* d = StartDockerd();
    if (!d) return {};
    std::vector<std::string> engine = {"env", "DOCKER_HOST=unix://" + *dir_ / "docker/docker.sock", kDocker};
    return RunInside(engine, run_args, store_on_volume, non_root, debian);
  }

  static std::vector<std::string> Podman() {
    if (podman_root_.empty() && ::access(kPodman, X_OK) == 0) {
      podman_root_ = *dir_ / "podman";
      auto loaded = RunCommand({kPodman, "--root", podman_root_, "--runroot", podman_root_ + "-run", "load", "-i",
                                *dir_ / "image.tar"});
      if (loaded.exit_code != 0) podman_error_ = "podman load: " + loaded.err;
    }
    // The runtime and limits this machine's podman needs (its hard limits are below podman's).
    return {kPodman, "--root", podman_root_, "--runroot", podman_root_ + "-run"};
  }

  // Each context built inside gives the host's manifest digest.
  static void ExpectHostDigests(const Inside& in, std::vector<std::string> contexts = {"hello", "users", "copyonly"}) {
    if (!in.log.at("debian").empty()) contexts.push_back("debian");
    for (const auto& c : contexts)
      EXPECT_EQ(in.digest.at(c), host_digest_.at(c)) << c << " built inside:\n" << in.log.at(c) << in.run_output;
  }

  inline static TempDir* dir_ = nullptr;
  inline static std::string skip_, setup_error_, docker_error_, podman_error_, podman_root_;
  inline static Dockerd* dockerd_ = nullptr;
  inline static std::map<std::string, std::string> host_digest_;
};

#define SKIP_WITHOUT_DOCKER()                                                       \
  if (::access(kDockerd, X_OK) != 0 || ::access(kDocker, X_OK) != 0)                \
    GTEST_SKIP() << kDockerd << " or " << kDocker << " is missing (scripts/bootstrap installs docker.io)"; \
  StartDockerd();                                                                   \
  ASSERT_EQ(docker_error_, "")

// Root in a docker container, in each setting a CI system uses, with the store on the container's
// own root and on a volume. (One test: the suite's image and dockerd are made once per process.)
//   - defaults: docker's seccomp profile refuses every namespace, so RUN steps run chrooted
//     (level 3), and say so once;
//   - --cap-add SYS_ADMIN: namespaces, but the profile still refuses pivot_root (the root is
//     moved and chrooted into instead) and CAP_NET_ADMIN is missing (lo stays down, said once);
//   - seccomp unconfined without CAP_SYS_ADMIN (Kubernetes' default: Unconfined, docker's
//     capabilities): cairn enters a user namespace of its own.
TEST_F(CiContainers, DockerAsRootGivesTheHostsDigestsInEverySettingAndSaysHowItIsolated) {
  SKIP_WITHOUT_DOCKER();
  for (bool volume : {false, true}) {
    SCOPED_TRACE(volume ? "store on a volume" : "store on the container's root");
    {
      SCOPED_TRACE("docker run with its defaults");
      Inside in = InDocker({}, volume, false, /*debian=*/volume);
      ExpectHostDigests(in);
      if (volume) EXPECT_NE(in.digest["debian"], "") << in.log["debian"];
      EXPECT_THAT(in.log["users"], HasSubstr("note: isolation: chroot, because"));
      EXPECT_THAT(in.log["users"], HasSubstr("a seccomp filter refuses namespaces"));
      EXPECT_THAT(in.log["users"], HasSubstr("--security-opt seccomp=unconfined"));
      // No misleading advice about the store's file system: the isolation note covers the copies.
      EXPECT_THAT(in.log["users"], Not(HasSubstr("A store on ext4 or xfs")));
      EXPECT_THAT(in.log["users"], Not(HasSubstr("is on overlayfs")));
      // Nothing failed for a build without RUN: no note at all.
      EXPECT_THAT(in.log["copyonly"], Not(HasSubstr("isolation")));
    }
    {
      SCOPED_TRACE("--cap-add SYS_ADMIN");
      Inside in = InDocker({"--cap-add", "SYS_ADMIN"}, volume);
      ExpectHostDigests(in);
      EXPECT_THAT(in.log["users"], HasSubstr("lacks CAP_NET_ADMIN"));
      EXPECT_THAT(in.log["users"], Not(HasSubstr("note: isolation")));
    }
    {
      SCOPED_TRACE("--security-opt seccomp=unconfined");
      Inside in = InDocker({"--security-opt", "seccomp=unconfined"}, volume, false, /*debian=*/volume);
      ExpectHostDigests(in);
      if (volume) EXPECT_NE(in.digest["debian"], "") << in.log["debian"];
      EXPECT_THAT(in.log["users"], HasSubstr("note: isolation: a user namespace of cairn's own"));
      EXPECT_THAT(in.log["users"], HasSubstr("lacks CAP_SYS_ADMIN"));
      // On the container's root the store is on overlayfs: the note says so and names the fix;
      // on a volume overlay works, and nothing is said.
      if (volume) EXPECT_THAT(in.log["users"], Not(HasSubstr("is on overlayfs")));
      else EXPECT_THAT(in.log["users"], HasSubstr("is on overlayfs (as a container's own root is)"));
    }
  }
}

// A non-root user where no namespace can be made: image verbs and a COPY-only build work, with
// the host's digest; a build with RUN fails at once, naming the cause and what allows it.
TEST_F(CiContainers, DockerNonRootUserBuildsWithoutRunAndRefusesRunNamingTheCause) {
  SKIP_WITHOUT_DOCKER();
  Inside in = InDocker({}, false, /*non_root=*/true);
  ExpectHostDigests(in, {"copyonly"});
  EXPECT_THAT(in.images, HasSubstr("busybox"));
  EXPECT_EQ(in.digest["users"], "");
  EXPECT_THAT(in.log["users"], HasSubstr("Dockerfile:3: RUN mkdir -p /home/app"));
  EXPECT_THAT(in.log["users"], HasSubstr("RUN cannot run here"));
  EXPECT_THAT(in.log["users"], HasSubstr("a seccomp filter refuses namespaces"));
  EXPECT_THAT(in.log["users"], HasSubstr("run cairn as root in the container"));
  // At once: the first step never started.
  EXPECT_THAT(in.log["users"], Not(HasSubstr("COPY message.txt")));
}

// Rootful podman's defaults: fewer capabilities than docker's (no NET_RAW, MKNOD, AUDIT_WRITE:
// a RUN gets only what is held) and a seccomp profile that allows user namespaces but refuses
// sethostname without CAP_SYS_ADMIN.
TEST_F(CiContainers, PodmanDefaultCapabilitySetBuildsWithTheHostsDigests) {
  if (::access(kPodman, X_OK) != 0) GTEST_SKIP() << kPodman << " is missing (scripts/bootstrap installs podman)";
  std::vector<std::string> podman = Podman();
  ASSERT_EQ(podman_error_, "");
  // --network none, as the docker runs get from a dockerd without a bridge: podman would otherwise
  // add a bridge (cni-podman0) to this machine.
  std::vector<std::string> args = {"--runtime", "runc", "--ulimit", "nofile=1024:2048", "--ulimit", "nproc=1024:2048",
                                   "--network", "none"};
  for (bool volume : {false, true}) {
    Inside in = RunInside(podman, args, volume);
    ExpectHostDigests(in);
    EXPECT_THAT(in.log["users"], HasSubstr("note: isolation: a user namespace of cairn's own"));
    EXPECT_THAT(in.log["users"], HasSubstr("refuses sethostname"));
  }
}

}  // namespace
}  // namespace cairn::testing
