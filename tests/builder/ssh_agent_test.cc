// The agent side of the ssh agent protocol for --ssh ID=KEYFILE (builder/ssh_agent.h): what a
// step may ask of cairn's agent, and what it may not (change keys, or make cairn hold unbounded
// input). Keys from Debian's ssh-keygen; that sshd accepts the signatures is tests/cli/ssh_mount_test.cc's.
#include "builder/ssh_agent.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "base/error.h"
#include "tests/support/harness.h"

namespace cairn::builder {
namespace {

using cairn::testing::RunCommand;
using cairn::testing::TempDir;

std::string U32(uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
  return s;
}
std::string Str(const std::string& s) { return U32(static_cast<uint32_t>(s.size())) + s; }

class SshAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "unit-key", "-f", tmp_ / "key"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    keys_ = SshKeyring::Load({tmp_ / "key"});
  }
  TempDir tmp_;
  std::shared_ptr<const SshKeyring> keys_;
};

TEST_F(SshAgentTest, ListsTheKeyAndSignsWithIt) {
  std::string answer = AnswerAgentRequest(*keys_, std::string(1, '\x0b'));
  ASSERT_EQ(answer[0], '\x0c');
  auto ids = keys_->Identities();
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].comment, "unit-key");
  EXPECT_EQ(answer, std::string(1, '\x0c') + U32(1) + Str(ids[0].blob) + Str("unit-key"));
  std::string sig = AnswerAgentRequest(*keys_, std::string(1, '\x0d') + Str(ids[0].blob) + Str("data") + U32(0));
  ASSERT_EQ(sig[0], '\x0e');
  // string(string "ssh-ed25519", string 64 bytes)
  EXPECT_EQ(sig.substr(1, 4 + 4 + 11), U32(4 + 11 + 4 + 64) + Str("ssh-ed25519"));
  EXPECT_EQ(sig.size(), 1u + 4 + 4 + 11 + 4 + 64);
}

TEST_F(SshAgentTest, EverythingElseFails) {
  const std::string failure(1, '\x05');
  auto blob = keys_->Identities()[0].blob;
  EXPECT_EQ(AnswerAgentRequest(*keys_, std::string(1, '\x0d') + Str("other key") + Str("data") + U32(0)), failure);
  EXPECT_EQ(AnswerAgentRequest(*keys_, std::string(1, '\x0d') + Str(blob)), failure);  // truncated
  EXPECT_EQ(AnswerAgentRequest(*keys_, std::string(1, '\x13')), failure);  // REMOVE_ALL_IDENTITIES
  EXPECT_EQ(AnswerAgentRequest(*keys_, std::string(1, '\x11')), failure);  // ADD_IDENTITY
  EXPECT_EQ(AnswerAgentRequest(*keys_, std::string(1, '\x16')), failure);  // LOCK
  EXPECT_EQ(AnswerAgentRequest(*keys_, ""), failure);
  EXPECT_EQ(keys_->Identities().size(), 1u);
}

TEST_F(SshAgentTest, FramesAreAnsweredWhenCompleteAndOversizedOnesClose) {
  std::string request = U32(1) + std::string(1, '\x0b');
  std::string buffer = request + request.substr(0, 3), out;
  EXPECT_TRUE(ServeAgentBytes(*keys_, buffer, out));
  EXPECT_EQ(buffer, request.substr(0, 3));  // the partial frame waits
  EXPECT_EQ(out.substr(4, 1), "\x0c");
  buffer = U32(1u << 30);
  EXPECT_FALSE(ServeAgentBytes(*keys_, buffer, out));
}

TEST_F(SshAgentTest, KeyErrorsNameTheFileAndNeverItsBytes) {
  auto r = RunCommand({"ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "pass phrase", "-f", tmp_ / "locked"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  try {
    SshKeyring::Load({tmp_ / "locked"});
    FAIL() << "an encrypted key loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(tmp_ / "locked"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("passphrase"), std::string::npos) << e.what();
  }
  cairn::testing::WriteTextFile(tmp_ / "cut", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n");
  EXPECT_THROW(SshKeyring::Load({tmp_ / "cut"}), Error);
}

}  // namespace
}  // namespace cairn::builder
