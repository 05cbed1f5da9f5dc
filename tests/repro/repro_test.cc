// Reproducible on every machine, through the real binary on a busybox base: a new commit keeps
// the step cache, the host's umask never reaches a build, a git checkout's modes are git's,
// SOURCE_DATE_EPOCH reaches RUN, and `cairn verify` names every differing file.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

// `git ARGS` in dir, committing at `time` (seconds since 1970) as a fixed author.
CommandResult Git(const std::string& dir, std::vector<std::string> args, int64_t time = 1700000000) {
  args.insert(args.begin(), {"git", "-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com",
                             "-c", "protocol.file.allow=always"});
  std::string date = "@" + std::to_string(time) + " +0000";
  return RunCommand(args, {"GIT_COMMITTER_DATE=" + date, "GIT_AUTHOR_DATE=" + date});
}

// `cairn --root ROOT ARGS` with the process umask set first.
CommandResult CairnUnderUmask(const std::string& umask, const std::string& root, std::vector<std::string> args) {
  std::vector<std::string> argv = {"sh", "-c", "umask " + umask + " && exec \"$0\" \"$@\"", CAIRN_BINARY, "--root", root};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

std::string ImageId(const std::string& root, const std::string& ref) {
  auto r = Cairn(root, {"inspect", ref});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? json::parse(r.out)[0]["Descriptor"]["digest"].get<std::string>() : "";
}

json Config(const std::string& root, const std::string& ref) {
  auto r = Cairn(root, {"inspect", ref});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? json::parse(r.out)[0]["Config"] : json();
}

std::string RunIn(const std::string& root, const std::string& image, const std::string& script) {
  auto r = Cairn(root, {"run", "--rm", image, "sh", "-c", script});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// The test busybox has no adduser: user app (1000:1000) by hand.
constexpr const char* kAddUser =
    "echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group"
    " && mkdir -p /home/app && chown 1000:1000 /home/app";

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
  return n;
}

class Repro : public ::testing::Test {
 protected:
  void SetUp() override { ImportBusybox(root_a()); }
  std::string root_a() const { return dir_ / "store-a"; }
  std::string root_b() const { return dir_ / "store-b"; }
  CommandResult Build(const std::string& root, const std::string& context, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"build", "--progress", "plain"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(context);
    return Cairn(root, args);
  }
  // A git repository at dir_/name holding files, committed at time.
  std::string Repo(const std::string& name, const std::vector<std::pair<std::string, std::string>>& files,
                   int64_t time = 1700000000) {
    std::string repo = dir_ / name;
    MakeDirs(repo);
    EXPECT_EQ(Git(repo, {"init", "-q"}).exit_code, 0);
    for (auto& [path, text] : files) WriteTextFile(repo + "/" + path, text);
    EXPECT_EQ(Git(repo, {"add", "."}).exit_code, 0);
    EXPECT_EQ(Git(repo, {"commit", "-qm", "first"}, time).exit_code, 0);
    return repo;
  }
  TempDir dir_;
};

// Issue 17 item 0: a commit that touches no input of a step keeps every step cached, and the
// warm image is the image a cold build of the new commit gives.
TEST_F(Repro, ACommitNoStepReadsKeepsEveryStepCachedAndEqualsAColdBuild) {
  std::string repo = Repo("app", {{"Dockerfile",
                                   "FROM busybox\n"
                                   "COPY app.txt /app/\n"
                                   "RUN cat /app/app.txt > /app/copy && echo \"$SOURCE_DATE_EPOCH\" > /app/epoch\n"
                                   "RUN echo done > /app/done\n"},
                                  {"app.txt", "the app\n"},
                                  {"README", "first\n"}});
  auto first = Build(root_a(), repo, {"-t", "app"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("source date epoch: layers 0 (default (0)), image 1700000000 (git HEAD"), std::string::npos)
      << first.err;
  EXPECT_EQ(Config(root_a(), "app")["created"], "2023-11-14T22:13:20Z");

  WriteTextFile(repo + "/README", "second\n");
  ASSERT_EQ(Git(repo, {"commit", "-qam", "docs"}, 1700000100).exit_code, 0);
  auto warm = Build(root_a(), repo, {"-t", "app"});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(Count(warm.err, " CACHED"), 3u) << warm.err;  // COPY and both RUNs
  EXPECT_EQ(warm.err.find("cache miss"), std::string::npos) << warm.err;
  json config = Config(root_a(), "app");
  EXPECT_EQ(config["created"], "2023-11-14T22:15:00Z");  // the new commit's time
  EXPECT_EQ(config["history"].back()["created"], "2023-11-14T22:15:00Z");

  ImportBusybox(root_b());
  auto cold = Build(root_b(), repo, {"-t", "app"});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(ImageId(root_a(), "app"), ImageId(root_b(), "app"));
  // RUN saw the epoch its layer is clamped to, and the image's Env does not carry it.
  EXPECT_EQ(RunIn(root_b(), "app", "cat /app/epoch"), "0\n");
  EXPECT_EQ(config["config"]["Env"].dump().find("SOURCE_DATE_EPOCH"), std::string::npos) << config.dump();
}

// Issue 17 item 1: under umask 077 the container's / is still 0755 and a USER step runs.
TEST_F(Repro, UmaskOfTheHostNeverReachesTheSandbox) {
  std::string ctx = dir_ / "ctx";
  WriteTextFile(ctx + "/Dockerfile",
                "FROM busybox\n"
                "RUN " + std::string(kAddUser) + " && mkdir -p /data && chown 1000:1000 /data\n"
                "USER app\n"
                "RUN ls -ld / | cut -c1-10 > /data/root-mode && ls -la /dev | grep ' \\.\\.$' | cut -c1-10 >> /data/root-mode"
                " && id -un >> /data/root-mode\n");
  auto strict = CairnUnderUmask("077", root_a(), {"build", "--progress", "plain", "-t", "strict", ctx});
  ASSERT_EQ(strict.exit_code, 0) << strict.err;
  EXPECT_EQ(RunIn(root_a(), "strict", "cat /data/root-mode"), "drwxr-xr-x\ndrwxr-xr-x\napp\n");
  ImportBusybox(root_b());
  auto usual = CairnUnderUmask("022", root_b(), {"build", "--progress", "plain", "-t", "usual", ctx});
  ASSERT_EQ(usual.exit_code, 0) << usual.err;
  EXPECT_EQ(ImageId(root_a(), "strict"), ImageId(root_b(), "usual"));
}

// Issue 17 item 3: two checkouts of one commit under umask 002 and 022 give one image; tracked
// files have git's modes, untracked ones their own; the context is a subdirectory.
TEST_F(Repro, GitCheckoutsUnderAnyUmaskGiveOneImageWithGitsModes) {
  std::string origin = Repo("origin", {{"svc/Dockerfile", "FROM busybox\nCOPY . /svc/\n"},
                                       {"svc/run.sh", "#!/bin/sh\necho run\n"},
                                       {"svc/conf/app.conf", "x=1\n"},
                                       {"other/unrelated", "not in the context\n"}});
  ASSERT_EQ(::chmod((origin + "/svc/run.sh").c_str(), 0755), 0);
  ASSERT_EQ(Git(origin, {"add", "svc/run.sh"}).exit_code, 0);
  ASSERT_EQ(Git(origin, {"commit", "-qm", "exec"}).exit_code, 0);
  auto clone = [&](const std::string& umask, const std::string& name) {
    auto r = RunCommand({"sh", "-c", "umask " + umask + " && git clone -q \"$0\" \"$1\"", origin, dir_ / name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir_ / name + "/svc";
  };
  std::string loose = clone("002", "loose"), usual = clone("022", "usual");
  struct stat st;
  ASSERT_EQ(::stat((loose + "/conf/app.conf").c_str(), &st), 0);
  ASSERT_EQ(st.st_mode & 0777, 0664u);  // the checkout really differs
  // A tracked file modified in the work tree (content and mode) still gets git's mode.
  WriteTextFile(loose + "/conf/app.conf", "x=2\n");
  WriteTextFile(usual + "/conf/app.conf", "x=2\n");
  ASSERT_EQ(::chmod((loose + "/conf/app.conf").c_str(), 0600), 0);
  // Untracked files keep their own mode.
  WriteTextFile(loose + "/local.env", "y\n");
  WriteTextFile(usual + "/local.env", "y\n");
  ASSERT_EQ(::chmod((loose + "/local.env").c_str(), 0640), 0);
  ASSERT_EQ(::chmod((usual + "/local.env").c_str(), 0640), 0);

  auto a = Build(root_a(), loose, {"-t", "svc"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ImportBusybox(root_b());
  auto b = Build(root_b(), usual, {"-t", "svc"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(ImageId(root_a(), "svc"), ImageId(root_b(), "svc"));
  EXPECT_EQ(RunIn(root_a(), "svc", "cd /svc && stat -c '%a %n' . conf conf/app.conf run.sh local.env Dockerfile"),
            "755 .\n755 conf\n644 conf/app.conf\n755 run.sh\n640 local.env\n644 Dockerfile\n");
  EXPECT_EQ(RunIn(root_a(), "svc", "test -e /svc/other || test -e /other || echo only-the-context"), "only-the-context\n");
}

// Submodules: files a checked-out submodule tracks get its index's modes too.
TEST_F(Repro, FilesOfACheckedOutSubmoduleGetGitsModes) {
  std::string lib = Repo("lib", {{"lib.sh", "echo lib\n"}, {"data/table", "1 2\n"}});
  std::string app = Repo("app", {{"Dockerfile", "FROM busybox\nCOPY . /app/\n"}});
  ASSERT_EQ(Git(app, {"submodule", "add", "-q", lib, "vendor/lib"}).exit_code, 0);
  ASSERT_EQ(Git(app, {"commit", "-qm", "sub"}).exit_code, 0);
  for (const char* p : {"/vendor/lib/lib.sh", "/vendor/lib/data/table"}) ASSERT_EQ(::chmod((app + p).c_str(), 0666), 0);
  ASSERT_EQ(::chmod((app + "/vendor/lib/data").c_str(), 0777), 0);
  auto r = Build(root_a(), app, {"-t", "sub"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn(root_a(), "sub", "cd /app/vendor/lib && stat -c '%a %n' . data data/table lib.sh"),
            "755 .\n755 data\n644 data/table\n644 lib.sh\n");
}

// Issue 17 item 4: BuildKit's ARG SOURCE_DATE_EPOCH: a global default is the build's epoch, a
// stage's `ARG SOURCE_DATE_EPOCH` exposes it to RUN; the flag wins over both.
TEST_F(Repro, GlobalArgSourceDateEpochIsTheEpochAndAStageArgShowsIt) {
  std::string ctx = dir_ / "ctx";
  WriteTextFile(ctx + "/Dockerfile",
                "ARG SOURCE_DATE_EPOCH=1234\n"
                "FROM busybox\n"
                "ARG SOURCE_DATE_EPOCH\n"
                "RUN echo \"$SOURCE_DATE_EPOCH\" > /epoch && touch /new\n");
  auto r = Build(root_a(), ctx, {"-t", "arg"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("layers 1234 (Dockerfile:1 (ARG SOURCE_DATE_EPOCH))"), std::string::npos) << r.err;
  EXPECT_EQ(Config(root_a(), "arg")["created"], "1970-01-01T00:20:34Z");
  EXPECT_EQ(RunIn(root_a(), "arg", "cat /epoch; stat -c %Y /new"), "1234\n1234\n");
  auto flag = Build(root_a(), ctx, {"-t", "flag", "--source-date-epoch", "99"});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_EQ(RunIn(root_a(), "flag", "cat /epoch"), "99\n");
  WriteTextFile(ctx + "/Dockerfile", "ARG SOURCE_DATE_EPOCH=soon\nFROM busybox\n");
  auto bad = Build(root_a(), ctx);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("Dockerfile:1: SOURCE_DATE_EPOCH must be whole seconds"), std::string::npos) << bad.err;
}

// Issue 17: verify lists every differing file with its step, cause and remedy, as text and JSON.
TEST_F(Repro, VerifyNamesEveryDifferingFileItsStepAndCause) {
  std::string ctx = dir_ / "ctx";
  WriteTextFile(ctx + "/Dockerfile",
                "FROM busybox\n"
                "RUN mkdir -p /var/log/apt /var/cache/apt && cat /proc/sys/kernel/random/uuid > /var/log/dpkg.log"
                " && cat /proc/sys/kernel/random/uuid > /var/log/apt/term.log && echo same > /stable\n"
                "RUN cat /proc/sys/kernel/random/uuid > /var/cache/apt/pkgcache.bin && cat /proc/sys/kernel/random/uuid > /opt-stamp\n");
  auto text = Cairn(root_a(), {"verify", ctx});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_NE(text.out.find("4 files differ:"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  /var/log/dpkg.log\n    made by: RUN /bin/sh -c mkdir -p /var/log/apt"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("remedy:  rm -f /var/cache/apt/*.bin"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  /opt-stamp\n"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("  /stable\n"), std::string::npos) << text.out;  // the same in both

  auto js = Cairn(root_a(), {"verify", "--json", ctx});
  EXPECT_EQ(js.exit_code, 1) << js.err;
  json report = json::parse(js.out);
  EXPECT_FALSE(report["reproducible"]);
  ASSERT_EQ(report["files"].size(), 4u) << report.dump(2);
  std::vector<std::string> paths;
  for (auto& f : report["files"]) paths.push_back(f["path"]);
  EXPECT_EQ(paths, (std::vector<std::string>{"/var/log/apt/term.log", "/var/log/dpkg.log", "/opt-stamp",
                                             "/var/cache/apt/pkgcache.bin"}));
  EXPECT_EQ(report["files"][2]["cause"], nullptr);
  EXPECT_EQ(report["files"][2]["layer"], 3);
  EXPECT_NE(report["files"][3]["cause"].get<std::string>().find("apt"), std::string::npos);
}

// Issue 17: verify (umask 077 in build B) passes on a Dockerfile with a USER step, and on a git
// context, whose second build is a checkout as under umask 002.
TEST_F(Repro, VerifyPassesWithAUserStepOnAGitContext) {
  std::string repo = Repo("svc", {{"Dockerfile",
                                   "FROM busybox\n"
                                   "RUN " + std::string(kAddUser) + "\n"
                                   "COPY --chown=app . /home/app/src/\n"
                                   "USER app\n"
                                   "RUN cd /home/app && ls -l src > listing && echo \"$SOURCE_DATE_EPOCH\" > epoch\n"},
                                  {"tool.sh", "#!/bin/sh\n"},
                                  {"conf/a", "a\n"}});
  auto r = Cairn(root_a(), {"verify", repo});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("git context: B builds from a copy checked out as under umask 002"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("verified: both builds gave sha256:"), std::string::npos) << r.err;
  // verify's digest is the one a plain build gives.
  auto b = Build(root_a(), repo, {"--metadata-file", dir_ / "meta.json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(r.out, json::parse(ReadFile(dir_ / "meta.json"))["containerimage.digest"].get<std::string>() + "\n");
}

}  // namespace
}  // namespace cairn::testing
