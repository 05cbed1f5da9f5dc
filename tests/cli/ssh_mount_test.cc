// `RUN --mount=type=ssh` with `cairn build --ssh`, as buildx: the step reaches an ssh agent the
// test starts (Debian's ssh-agent, with a key ssh-keygen makes) through a socket of its own, and
// lists the agent's keys with a static program that speaks the agent protocol. The agent is in no
// layer, cache key or history. Through the real binary.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "tests/support/busybox_store.h"
#include "tests/support/git_server.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

class SshMount : public BusyboxStore<SshMount> {
 protected:
  void SetUp() override {
    auto key = RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cairn-test-key", "-f", tmp_ / "key"});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    agent_ = StartAgent(tmp_ / "agent.sock");
    auto add = RunCommand({"ssh-add", tmp_ / "key"}, {"SSH_AUTH_SOCK=" + (tmp_ / "agent.sock")});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    std::ifstream probe(CAIRN_SSH_AGENT_LIST, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(probe)), std::istreambuf_iterator<char>());
    WriteTextFile(tmp_ / "ctx/agent-list", bytes);
    ::chmod((tmp_ / "ctx/agent-list").c_str(), 0755);
  }
  void TearDown() override {
    for (pid_t pid : {agent_, second_agent_})
      if (pid > 0) ::kill(pid, SIGTERM);
  }
  // ssh-agent -a PATH: forks itself and prints its pid ("SSH_AGENT_PID=N;").
  static pid_t StartAgent(const std::string& socket) {
    auto r = RunCommand({"ssh-agent", "-s", "-a", socket});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto at = r.out.find("SSH_AGENT_PID=");
    return at == std::string::npos ? -1 : std::stoi(r.out.substr(at + 14));
  }
  CommandResult Build(const std::string& dockerfile, const std::vector<std::string>& flags,
                      const std::vector<std::string>& env = {}) {
    WriteTextFile(tmp_ / "ctx/Dockerfile", dockerfile);
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", "ssh-out"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(tmp_ / "ctx");
    return Cairn(Root(), args, env);
  }
  static std::string Run(const std::vector<std::string>& command) {
    std::vector<std::string> args = {"run", "--rm", "ssh-out"};
    args.insert(args.end(), command.begin(), command.end());
    auto r = Cairn(Root(), args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  TempDir tmp_;
  pid_t agent_ = -1, second_agent_ = -1;
};

TEST_F(SshMount, AStepListsTheAgentsKeysAndTheAgentStaysOutOfTheImage) {
  std::string df = "FROM busybox\nCOPY agent-list /agent-list\n"
                   "RUN --mount=type=ssh /agent-list > /keys && echo $SSH_AUTH_SOCK > /sock && stat -c '%a %u' $SSH_AUTH_SOCK >> /sock\n";
  auto r = Build(df, {"--ssh", "default"}, {"SSH_AUTH_SOCK=" + (tmp_ / "agent.sock")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"cat", "/keys"}), "1 keys\ncairn-test-key\n");
  EXPECT_EQ(Run({"cat", "/sock"}), "/run/buildkit/ssh_agent.0\n600 0\n");
  // The mount point is no part of the layer.
  EXPECT_EQ(Run({"sh", "-c", "test -e /run/buildkit/ssh_agent.0 && echo there || echo gone"}), "gone\n");
  auto history = Cairn(Root(), {"inspect", "ssh-out"});
  EXPECT_EQ(history.out.find("agent.sock"), std::string::npos) << history.out;

  // Another agent at another path is the same input: the step is cached.
  second_agent_ = StartAgent(tmp_ / "other.sock");
  auto again = Build(df, {"--ssh", "default=" + (tmp_ / "other.sock")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("#3 CACHED"), std::string::npos) << again.err;
}

TEST_F(SshMount, IdTargetOwnerAndModeAreTheMountsAndRequiredIsChecked) {
  auto r = Build("FROM busybox\nCOPY agent-list /agent-list\n"
                 "RUN --mount=type=ssh,id=deploy,target=/tmp/agent,uid=1000,mode=0660 "
                 "/agent-list > /keys && stat -c '%a %u' /tmp/agent > /mode && echo $SSH_AUTH_SOCK >> /mode\n",
                 {"--ssh", "deploy=" + (tmp_ / "agent.sock")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"cat", "/keys"}), "1 keys\ncairn-test-key\n");
  EXPECT_EQ(Run({"cat", "/mode"}), "660 1000\n/tmp/agent\n");

  // Not given: an optional agent is not mounted, a required one fails naming the flag to pass.
  r = Build("FROM busybox\nRUN --mount=type=ssh,id=deploy test -z \"$SSH_AUTH_SOCK\" && touch /ran\n", {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Build("FROM busybox\nRUN --mount=type=ssh,id=deploy,required true\n", {});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Dockerfile:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ssh agent deploy is required but was not given (cairn build --ssh deploy=SOCKET)"),
            std::string::npos) << r.err;
}

TEST_F(SshMount, NoAgentOrASocketAmongKeysIsRefusedSayingWhatToDo) {
  auto none = Build("FROM busybox\nRUN --mount=type=ssh true\n", {"--ssh", "default"}, {"SSH_AUTH_SOCK="});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("--ssh default: SSH_AUTH_SOCK is not set"), std::string::npos) << none.err;
  auto two = Build("FROM busybox\nRUN --mount=type=ssh true\n", {"--ssh", "default=" + (tmp_ / "agent.sock") + "," + (tmp_ / "key")});
  EXPECT_NE(two.exit_code, 0);
  EXPECT_NE(two.err.find("an agent socket among several paths"), std::string::npos) << two.err;
  auto missing = Build("FROM busybox\nRUN --mount=type=ssh true\n", {"--ssh", "default=" + (tmp_ / "nokey")});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find(tmp_ / "nokey"), std::string::npos) << missing.err;
}

// The host's ssh and ssh-add with the libraries they link (ldd), into ctx/sshbin: the step runs
// them through the dynamic loader, so the busybox image needs no openssh.
void CopySshClient(const std::string& dir) {
  auto r = RunCommand({"sh", "-c", "set -e; mkdir -p " + dir + "; for b in /usr/bin/ssh /usr/bin/ssh-add; do cp $b " + dir +
                                       "; for l in $(ldd $b | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do cp -L $l " + dir +
                                       "; done; done"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}
constexpr const char* kSsh = "/sshbin/ld-linux-x86-64.so.2 --library-path /sshbin /sshbin/";

std::string Fingerprint(const std::string& key) {
  auto r = RunCommand({"ssh-keygen", "-l", "-f", key});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  size_t at = r.out.find("SHA256:");
  return at == std::string::npos ? "" : r.out.substr(at, r.out.find(' ', at) - at);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// --ssh ID=KEYFILE[,KEYFILE]: cairn answers as an agent of the keys (ed25519 and RSA in
// OpenSSH's format, ECDSA in PEM); ssh-add lists them, and a real sshd accepts the signatures
// ssh gets from it (RSA with both SHA-2 algorithms). No key is in the image, history or output.
TEST_F(SshMount, KeyFilesAreServedAsAnAgentWhoseSignaturesSshdAccepts) {
  for (auto [name, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"ed", {"-t", "ed25519"}}, {"rsa", {"-t", "rsa", "-b", "2048"}}, {"ec", {"-t", "ecdsa", "-m", "PEM"}}}) {
    std::vector<std::string> argv = {"ssh-keygen", "-q", "-N", "", "-C", "cairn-" + name, "-f", tmp_ / name};
    argv.insert(argv.end(), args.begin(), args.end());
    auto k = RunCommand(argv);
    ASSERT_EQ(k.exit_code, 0) << k.err;
  }
  CopySshClient(tmp_ / "ctx/sshbin");
  std::string keys = (tmp_ / "ed") + "," + (tmp_ / "rsa") + "," + (tmp_ / "ec");
  auto listed = Build("FROM busybox\nCOPY sshbin /sshbin\nCOPY agent-list /agent-list\n"
                      "RUN --mount=type=ssh,id=all /agent-list > /comments && " + std::string(kSsh) + "ssh-add -l > /keys\n",
                      {"--ssh", "all=" + keys});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::string list = Run({"cat", "/keys"});
  for (auto name : {"ed", "rsa", "ec"}) EXPECT_NE(list.find(Fingerprint(tmp_ / name)), std::string::npos) << name << ": " << list;
  EXPECT_EQ(Run({"cat", "/comments"}), "3 keys\ncairn-ed\ncairn-rsa\n" + (tmp_ / "ec") + "\n");

  SshServer sshd(tmp_.path() + "/sshd", Slurp(tmp_ / "ed.pub") + Slurp(tmp_ / "rsa.pub") + Slurp(tmp_ / "ec.pub"));
  WriteTextFile(tmp_ / "ctx/known_hosts", sshd.KnownHostsLine());
  std::string login = std::string(kSsh) + "ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile=/known_hosts " +
                      "-o StrictHostKeyChecking=yes -p " + std::to_string(sshd.port());
  std::string df = "FROM busybox\nCOPY sshbin /sshbin\nCOPY known_hosts /known_hosts\n"
                   "RUN echo root:x:0:0:root:/root:/bin/sh > /etc/passwd && mkdir -p /root\n";
  for (auto [id, algorithm] : std::vector<std::pair<std::string, std::string>>{
           {"ed", "ssh-ed25519"}, {"rsa", "rsa-sha2-256"}, {"rsa", "rsa-sha2-512"}, {"ec", "ecdsa-sha2-nistp256"}})
    df += "RUN --network=host --mount=type=ssh,id=" + id + " " + login + " -o PubkeyAcceptedAlgorithms=" + algorithm +
          " root@127.0.0.1 echo " + algorithm + " >> /logins\n";
  auto r = Build(df, {"--allow", "network.host", "--ssh", "ed=" + (tmp_ / "ed"), "--ssh", "rsa=" + (tmp_ / "rsa"),
                      "--ssh", "ec=" + (tmp_ / "ec")});
  ASSERT_EQ(r.exit_code, 0) << r.err << sshd.Log();
  EXPECT_EQ(Run({"cat", "/logins"}), "ssh-ed25519\nrsa-sha2-256\nrsa-sha2-512\necdsa-sha2-nistp256\n");
  std::string log = sshd.Log();
  EXPECT_NE(log.find("Accepted publickey for root from 127.0.0.1 port"), std::string::npos) << log;
  EXPECT_NE(log.find("RSA " + Fingerprint(tmp_ / "rsa")), std::string::npos) << log;
  EXPECT_NE(log.find("ED25519 " + Fingerprint(tmp_ / "ed")), std::string::npos) << log;
  EXPECT_NE(log.find("ECDSA " + Fingerprint(tmp_ / "ec")), std::string::npos) << log;

  // The keys are in no output, history or layer.
  auto history = Cairn(Root(), {"inspect", "ssh-out"});
  ASSERT_EQ(Cairn(Root(), {"save", "-o", tmp_ / "image.tar", "ssh-out"}).exit_code, 0);
  std::string patterns;
  for (auto name : {"ed", "rsa", "ec"}) {
    std::string secret = Slurp(tmp_ / name);
    std::string body = secret.substr(secret.find('\n') + 1, 40);
    EXPECT_EQ(r.err.find(body), std::string::npos);
    EXPECT_EQ(history.out.find(body), std::string::npos);
    EXPECT_EQ(history.out.find(tmp_ / name), std::string::npos);
    patterns += " -e '" + body + "'";
  }
  auto layers = RunCommand({"sh", "-c", "mkdir " + (tmp_ / "x") + " && tar -xf " + (tmp_ / "image.tar") + " -C " + (tmp_ / "x") +
                                            " && for f in $(find " + (tmp_ / "x") + " -type f); do (gzip -dc $f 2>/dev/null || cat $f) | "
                                            "tar -xO 2>/dev/null; cat $f; done > " + (tmp_ / "all-bytes")});
  ASSERT_EQ(layers.exit_code, 0) << layers.err;
  // The control: a file a step wrote is found in the bytes; no key is.
  EXPECT_NE(RunCommand({"grep", "-c", "root:x:0:0:root:/root:/bin/sh", tmp_ / "all-bytes"}).out, "0\n");
  EXPECT_EQ(RunCommand({"sh", "-c", "grep -F -c" + patterns + " " + (tmp_ / "all-bytes") + " || true"}).out, "0\n");
}

TEST_F(SshMount, AKeyWithAPassphraseOrOfAnotherKindIsRefusedNamingTheFile) {
  auto k = RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "a passphrase", "-f", tmp_ / "locked"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  auto locked = Build("FROM busybox\nRUN --mount=type=ssh true\n", {"--ssh", "default=" + (tmp_ / "locked")});
  EXPECT_NE(locked.exit_code, 0);
  EXPECT_NE(locked.err.find("--ssh " + (tmp_ / "locked") + ": the key is protected by a passphrase, which cairn cannot ask "
                            "for; load it into an agent (ssh-add " + (tmp_ / "locked") + ")"), std::string::npos) << locked.err;
  WriteTextFile(tmp_ / "ctx/notakey", "hello\n");
  auto junk = Build("FROM busybox\nRUN --mount=type=ssh true\n", {"--ssh", "default=" + (tmp_ / "ctx/notakey")});
  EXPECT_NE(junk.exit_code, 0);
  EXPECT_NE(junk.err.find("--ssh " + (tmp_ / "ctx/notakey") + ": not a private key cairn reads"), std::string::npos) << junk.err;
}

}  // namespace
}  // namespace cairn::testing
