// Git sources as buildx has them, through the real binary against a git server on 127.0.0.1
// (git daemon for git://, git http-backend for http://): a git URL as the build context, as a
// --build-context and as an ADD source; cloned (libgit2), never downloaded as a file.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "tests/support/busybox_store.h"
#include "tests/support/git_server.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

constexpr const char* kCommitDate = "2021-01-01T00:00:00Z";  // 1609459200

class GitSource : public BusyboxStore<GitSource> {
 protected:
  // srv/repo.git: one commit (tag v1) of sub/{Dockerfile,a.txt,run.sh (0755)} and top.txt.
  void SetUp() override {
    ::umask(002);  // a checkout under umask 002 (git writes 0664/0775): git's modes must win
    WriteTextFile(tmp_ / "work/sub/Dockerfile", "FROM busybox\nCOPY . /app\nRUN stat -c '%a %n' /app/a.txt /app/run.sh > /modes\n");
    WriteTextFile(tmp_ / "work/sub/a.txt", "one\n");
    WriteTextFile(tmp_ / "work/sub/run.sh", "#!/bin/sh\necho tool\n");
    WriteTextFile(tmp_ / "work/sub/.dockerignore", ".git\n");
    WriteTextFile(tmp_ / "work/top.txt", "top\n");
    WriteTextFile(tmp_ / "work/ci.Dockerfile", "FROM busybox\nCOPY top.txt /app/\n");
    ::chmod((tmp_ / "work/sub/run.sh").c_str(), 0775);
    Git(work_, {"init", "-q"});
    Git(work_, {"add", "-A"});
    Git(work_, {"commit", "-q", "-m", "one"}, kCommitDate);
    Git(work_, {"tag", "v1"});
    Git(tmp_.path(), {"clone", "-q", "--bare", work_, tmp_ / "srv/repo.git"});
    ::umask(022);
  }
  // A second commit on main (a.txt says "two"), pushed to the server's repository.
  void CommitTwo() {
    WriteTextFile(tmp_ / "work/sub/a.txt", "two\n");
    Git(work_, {"commit", "-q", "-am", "two"}, "2022-01-01T00:00:00Z");
    Git(work_, {"push", "-q", tmp_ / "srv/repo.git", "main"});
  }
  std::string Commit(const std::string& rev = "HEAD") {
    auto r = RunCommand({"git", "-C", work_, "rev-parse", rev});
    return r.out.substr(0, r.out.find('\n'));
  }
  static CommandResult Build(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"build", "--progress", "plain"};
    all.insert(all.end(), args.begin(), args.end());
    return Cairn(Root(), all);
  }
  static std::string Run(const std::string& image, const std::vector<std::string>& command) {
    std::vector<std::string> args = {"run", "--rm", image};
    args.insert(args.end(), command.begin(), command.end());
    auto r = Cairn(Root(), args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  static nlohmann::json Config(const std::string& image) {
    auto r = Cairn(Root(), {"inspect", image});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    return j.is_array() ? j[0] : j;
  }

  TempDir tmp_;
  std::string work_ = tmp_ / "work";
};

// Files in the store's context index directory: one per local context built.
size_t ContextIndexFiles(const std::string& root) {
  auto r = RunCommand({"sh", "-c", "ls " + root + "/cache-hints/context-index 2>/dev/null | wc -l"});
  return std::stoul(r.out);
}

TEST_F(GitSource, AGitContextBuildsTheImageALocalCheckoutOfTheCommitBuilds) {
  GitServer server(tmp_ / "srv");
  size_t index_files = ContextIndexFiles(Root());
  auto remote = Build({"-t", "git-remote", server.GitUrl("repo.git") + "#v1:sub"});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_NE(remote.err.find("image 1609459200 (git commit " + Commit() + " of "), std::string::npos) << remote.err;
  EXPECT_EQ(Run("git-remote", {"cat", "/modes"}), "644 /app/a.txt\n755 /app/run.sh\n");
  EXPECT_EQ(Run("git-remote", {"ls", "-a", "/app"}), ".\n..\n.dockerignore\nDockerfile\na.txt\nrun.sh\n");
  EXPECT_EQ(Config("git-remote")["Config"]["created"], "2021-01-01T00:00:00Z");
  // The checkout is gone after the build, and so is what the build knew of its files.
  EXPECT_EQ(ContextIndexFiles(Root()), index_files);
  EXPECT_EQ(RunCommand({"sh", "-c", "ls " + Root() + "/tmp | wc -l"}).out, "0\n");

  // The same commit checked out here (umask 002, with its .git) gives the same image.
  auto local = Build({"-t", "git-local", work_ + "/sub"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_EQ(local.out, remote.out);

  // Over http (git http-backend), by branch, with -f naming the Dockerfile inside the repository.
  auto http = Build({"-t", "git-http", "-f", "ci.Dockerfile", server.HttpUrl("repo.git") + "#main"});
  ASSERT_EQ(http.exit_code, 0) << http.err;
  EXPECT_EQ(Run("git-http", {"cat", "/app/top.txt"}), "top\n");
}

TEST_F(GitSource, CredentialsInTheUrlCloneButAppearNowhere) {
  GitServer server(tmp_ / "srv", "ci", "s3cr3t-token");
  std::string url = server.HttpUrl("repo.git", "ci:s3cr3t-token") + "#v1:sub";
  auto r = Build({"-t", "git-auth", url});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("s3cr3t"), std::string::npos) << r.err;
  auto history = Cairn(Root(), {"inspect", "git-auth"});
  EXPECT_EQ(history.out.find("s3cr3t"), std::string::npos) << history.out;

  auto wrong = Build({"-t", "git-auth", server.HttpUrl("repo.git", "ci:wrong-pass") + "#v1:sub"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("build context: git clone " + server.HttpUrl("repo.git") + "#v1:sub: "), std::string::npos)
      << wrong.err;
  EXPECT_EQ(wrong.err.find("wrong-pass"), std::string::npos) << wrong.err;
}

TEST_F(GitSource, AGitUrlIsABuildContextWithGitsModes) {
  GitServer server(tmp_ / "srv");
  WriteTextFile(tmp_ / "ctx/Dockerfile",
                "FROM busybox\nCOPY --from=src /sub/run.sh /run.sh\nRUN --mount=from=src,target=/src cat /src/top.txt > /top\n"
                "RUN stat -c %a /run.sh > /mode\n");
  auto r = Build({"-t", "git-named", "--build-context", "src=" + server.GitUrl("repo.git") + "#v1", tmp_ / "ctx"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run("git-named", {"cat", "/top", "/mode"}), "top\n755\n");

  auto missing = Build({"--build-context", "src=" + server.GitUrl("repo.git") + "#v1:nope", tmp_ / "ctx"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("--build-context src=" + server.GitUrl("repo.git") + "#v1:nope: "), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("no directory nope in the commit"), std::string::npos) << missing.err;
}

TEST_F(GitSource, AddOfAGitUrlChecksOutTheRefAndIsKeyedByItsCommit) {
  GitServer server(tmp_ / "srv");
  std::string df = "FROM busybox\nADD " + server.GitUrl("repo.git") + "#main:sub /src\nRUN cat /src/a.txt > /a\n";
  WriteTextFile(tmp_ / "ctx/Dockerfile", df);
  auto first = Build({"-t", "git-add", tmp_ / "ctx"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Run("git-add", {"cat", "/a"}), "one\n");
  EXPECT_EQ(Run("git-add", {"stat", "-c", "%a", "/src/run.sh"}), "755\n");
  auto again = Build({"-t", "git-add", tmp_ / "ctx"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("#2 CACHED"), std::string::npos) << again.err;

  CommitTwo();  // main moves: the ADD misses and takes the new commit
  auto moved = Build({"-t", "git-add", tmp_ / "ctx"});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_EQ(Run("git-add", {"cat", "/a"}), "two\n");

  // --checksum names the commit: the one main is at passes, another is refused.
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nADD --checksum=" + Commit() + " " + server.GitUrl("repo.git") + " /src\n");
  auto pinned = Build({tmp_ / "ctx"});
  EXPECT_EQ(pinned.exit_code, 0) << pinned.err;
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nADD --checksum=" + Commit("v1") + " " + server.GitUrl("repo.git") + " /src\n");
  auto mismatch = Build({tmp_ / "ctx"});
  EXPECT_NE(mismatch.exit_code, 0);
  EXPECT_NE(mismatch.err.find("Dockerfile:2: ADD --checksum"), std::string::npos) << mismatch.err;
  EXPECT_NE(mismatch.err.find("checksum mismatch: expected commit " + Commit("v1") + ", got " + Commit()), std::string::npos)
      << mismatch.err;
}

TEST_F(GitSource, WhatCannotBeClonedIsAnErrorNamingTheUrl) {
  GitServer server(tmp_ / "srv");
  auto ref = Build({server.GitUrl("repo.git") + "#no-such-branch"});
  EXPECT_NE(ref.exit_code, 0);
  EXPECT_NE(ref.err.find("no branch, tag or commit \"no-such-branch\""), std::string::npos) << ref.err;
  auto repo = Build({server.GitUrl("other.git")});
  EXPECT_NE(repo.exit_code, 0);
  EXPECT_NE(repo.err.find("git clone " + server.GitUrl("other.git") + ": "), std::string::npos) << repo.err;
  auto escape = Build({server.GitUrl("repo.git") + "#v1:../x"});
  EXPECT_NE(escape.exit_code, 0);
  EXPECT_NE(escape.err.find("must name a directory inside the repository"), std::string::npos) << escape.err;
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nADD --keep-git-dir " + server.GitUrl("repo.git") + "#v1:sub /src\n");
  auto keep = Build({tmp_ / "ctx"});
  EXPECT_NE(keep.exit_code, 0);
  EXPECT_NE(keep.err.find("Dockerfile:2: ADD --keep-git-dir " + server.GitUrl("repo.git") + "#v1:sub /src: " +
                          server.GitUrl("repo.git") + "#v1:sub: --keep-git-dir: the .git directory is the repository's root, "
                          "not sub's"), std::string::npos) << keep.err;
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nADD --keep-git-dir Dockerfile /src\n");
  auto local = Build({tmp_ / "ctx"});
  EXPECT_NE(local.exit_code, 0);
  EXPECT_NE(local.err.find("Dockerfile:2: ADD --keep-git-dir Dockerfile /src: --keep-git-dir keeps the .git directory of a "
                           "git source, and no source is a git repository"), std::string::npos) << local.err;
}

// ADD --keep-git-dir: a canonical shallow .git (cli/git_keep_dir.h) that git itself reads as a
// clean checkout of the commit, with the same bytes from two clones in two fresh stores.
TEST_F(GitSource, AddKeepGitDirIsACleanShallowRepositoryAndTwoClonesGiveOneLayer) {
  GitServer server(tmp_ / "srv");
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nADD --keep-git-dir " + server.GitUrl("repo.git") + "#main /src\n"
                                         "ADD --keep-git-dir " + server.GitUrl("repo.git") + "#v1 /tag\n");
  auto first = Build({"-t", "keep", "-o", "type=local,dest=" + (tmp_ / "fs"), tmp_ / "ctx"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto git = [&](const std::string& dir, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"git", "-c", "safe.directory=*", "-C", tmp_ / ("fs/" + dir)};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(git("src", {"rev-parse", "HEAD"}), Commit() + "\n");
  EXPECT_EQ(git("src", {"symbolic-ref", "HEAD"}), "refs/heads/main\n");
  EXPECT_EQ(git("src", {"status", "--porcelain"}), "");
  EXPECT_EQ(git("src", {"rev-parse", "--is-shallow-repository"}), "true\n");
  EXPECT_EQ(git("src", {"log", "--format=%s"}), "one\n");
  EXPECT_EQ(git("src", {"remote", "get-url", "origin"}), server.GitUrl("repo.git") + "\n");
  git("src", {"fsck", "--no-progress"});
  EXPECT_EQ(git("tag", {"rev-parse", "HEAD"}), Commit() + "\n");  // a tag: a detached HEAD
  auto ls = RunCommand({"sh", "-c", "cd " + (tmp_ / "fs/src/.git") + " && find . -maxdepth 1 | sort | tr '\\n' ' '"});
  EXPECT_EQ(ls.out, ". ./HEAD ./config ./index ./objects ./packed-refs ./refs ./shallow ") << "no logs, FETCH_HEAD or ORIG_HEAD";

  // Another store, another umask, a second later: the same layers, the same image.
  ::sleep(1);
  ImportBusybox(tmp_ / "store2");
  ::umask(002);
  auto second = Cairn(tmp_ / "store2", {"build", "--progress", "plain", "-t", "keep", tmp_ / "ctx"});
  ::umask(022);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
  EXPECT_EQ(Run("keep", {"stat", "-c", "%a", "/src/.git/HEAD", "/src/.git/objects"}), "644\n755\n");

  // The flag is part of the step: the same ADD without it is another layer, with no .git.
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nADD " + server.GitUrl("repo.git") + "#main /src\n");
  auto plain = Build({"-t", "nokeep", tmp_ / "ctx"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(Run("nokeep", {"sh", "-c", "test -e /src/.git && echo kept || echo none"}), "none\n");
}

TEST_F(GitSource, OverSshWithKeyFilesOrAnAgentCheckingKnownHosts) {
  auto key = RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cairn-git", "-f", tmp_ / "key"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  std::ifstream pub(tmp_ / "key.pub");
  SshServer sshd(tmp_.path() + "/sshd", std::string((std::istreambuf_iterator<char>(pub)), std::istreambuf_iterator<char>()));
  WriteTextFile(tmp_ / "home/.ssh/known_hosts", sshd.KnownHostsLine());
  std::vector<std::string> home = {"HOME=" + (tmp_ / "home"), "SSH_AUTH_SOCK="};
  std::string repo = sshd.Url(tmp_ / "srv/repo.git");

  // The context: the same image as the local checkout of the commit.
  auto remote = Cairn(Root(), {"build", "--progress", "plain", "-t", "git-ssh", "--ssh", "default=" + (tmp_ / "key"), repo + "#v1:sub"}, home);
  ASSERT_EQ(remote.exit_code, 0) << remote.err << sshd.Log();
  auto local = Build({"-t", "git-local", work_ + "/sub"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_EQ(local.out, remote.out);
  EXPECT_EQ(Run("git-ssh", {"cat", "/modes"}), "644 /app/a.txt\n755 /app/run.sh\n");

  // ADD and --build-context, with the key in an agent (ssh-agent, --ssh default).
  auto agent = RunCommand({"ssh-agent", "-s", "-a", tmp_ / "agent.sock"});
  ASSERT_EQ(agent.exit_code, 0) << agent.err;
  pid_t agent_pid = std::stoi(agent.out.substr(agent.out.find("SSH_AGENT_PID=") + 14));
  ASSERT_EQ(RunCommand({"ssh-add", tmp_ / "key"}, {"SSH_AUTH_SOCK=" + (tmp_ / "agent.sock")}).exit_code, 0);
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nADD " + repo + "#main:sub /src\nCOPY --from=src /top.txt /top\n"
                                         "RUN cat /src/a.txt /top > /both\n");
  std::vector<std::string> with_agent = {"HOME=" + (tmp_ / "home"), "SSH_AUTH_SOCK=" + (tmp_ / "agent.sock")};
  auto add = Cairn(Root(), {"build", "--progress", "plain", "-t", "git-ssh-add", "--ssh", "default", "--build-context",
                            "src=" + repo + "#v1", tmp_ / "ctx"}, with_agent);
  ::kill(agent_pid, SIGTERM);
  ASSERT_EQ(add.exit_code, 0) << add.err << sshd.Log();
  EXPECT_EQ(Run("git-ssh-add", {"cat", "/both"}), "one\ntop\n");

  // A host key known_hosts does not hold is refused, saying how to add it.
  WriteTextFile(tmp_ / "home/.ssh/known_hosts", "");
  auto unknown = Cairn(Root(), {"build", "--ssh", "default=" + (tmp_ / "key"), repo + "#v1:sub"}, home);
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("the host key of [127.0.0.1]:" + std::to_string(sshd.port()) + " is not in ~/.ssh/known_hosts"),
            std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("ssh-keyscan -p " + std::to_string(sshd.port()) + " 127.0.0.1"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace cairn::testing
