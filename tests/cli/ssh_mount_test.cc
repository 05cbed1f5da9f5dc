// `RUN --mount=type=ssh` with `cairn build --ssh`, as buildx: the step reaches an ssh agent the
// test starts (Debian's ssh-agent, with a key ssh-keygen makes) through a socket of its own, and
// lists the agent's keys with a static program that speaks the agent protocol. The agent is in no
// layer, cache key or history. Through the real binary.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/busybox_store.h"
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

TEST_F(SshMount, AKeyFileOrNoAgentIsRefusedSayingWhatToDo) {
  auto key = Build("FROM busybox\nRUN --mount=type=ssh true\n", {"--ssh", "default=" + (tmp_ / "key")});
  EXPECT_NE(key.exit_code, 0);
  EXPECT_NE(key.err.find("is not an agent socket; cairn forwards ssh agents and does not read key files: load the key "
                         "into an agent (ssh-add " + (tmp_ / "key") + ")"), std::string::npos) << key.err;
  auto none = Build("FROM busybox\nRUN --mount=type=ssh true\n", {"--ssh", "default"}, {"SSH_AUTH_SOCK="});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("--ssh default: SSH_AUTH_SOCK is not set"), std::string::npos) << none.err;
  auto two = Build("FROM busybox\nRUN --mount=type=ssh true\n", {"--ssh", "default=" + (tmp_ / "agent.sock") + "," + (tmp_ / "key")});
  EXPECT_NE(two.exit_code, 0);
  EXPECT_NE(two.err.find("one agent socket per id"), std::string::npos) << two.err;
}

}  // namespace
}  // namespace cairn::testing
