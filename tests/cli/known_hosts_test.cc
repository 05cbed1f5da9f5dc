// The host key check of ssh git sources (cli/known_hosts.h) against known_hosts files as ssh
// writes them: keys from ssh-keygen, plain and hashed (ssh-keygen -H) host names.
#include "cli/known_hosts.h"

#include <gtest/gtest.h>

#include "base/base64.h"
#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::cli {
namespace {

using cairn::testing::RunCommand;
using cairn::testing::TempDir;

class KnownHosts : public ::testing::Test {
 protected:
  // A new ed25519 key: its public line's "type base64" part.
  std::string NewKey(const std::string& name) {
    auto r = RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp_ / name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string pub = ReadFile(tmp_ / (name + ".pub"));
    return pub.substr(0, pub.find(' ', pub.find(' ') + 1));
  }
  static std::string Blob(const std::string& type_and_key) { return Base64Decode(type_and_key.substr(type_and_key.find(' ') + 1)); }

  TempDir tmp_;
};

TEST_F(KnownHosts, APlainEntryIsKnownAnotherKeyIsChangedNoEntryIsUnknown) {
  std::string key = NewKey("a"), other = NewKey("b");
  std::string file = "# comment\ngit.example.com,10.0.0.1 " + key + " team\n[127.0.0.1]:2222 " + key + "\n";
  EXPECT_EQ(CheckKnownHost(file, "git.example.com", 22, Blob(key)), HostKeyVerdict::kKnown);
  EXPECT_EQ(CheckKnownHost(file, "10.0.0.1", 22, Blob(key)), HostKeyVerdict::kKnown);
  EXPECT_EQ(CheckKnownHost(file, "git.example.com", 22, Blob(other)), HostKeyVerdict::kChanged);
  EXPECT_EQ(CheckKnownHost(file, "127.0.0.1", 2222, Blob(key)), HostKeyVerdict::kKnown);
  EXPECT_EQ(CheckKnownHost(file, "127.0.0.1", 22, Blob(key)), HostKeyVerdict::kUnknown);  // another port
  EXPECT_EQ(CheckKnownHost(file, "other.example.com", 22, Blob(key)), HostKeyVerdict::kUnknown);
}

TEST_F(KnownHosts, HashedNamesPatternsAndRevokedKeysAreSshs) {
  std::string key = NewKey("a"), other = NewKey("b");
  WriteFileAtomic(tmp_ / "known_hosts", "git.example.com " + key + "\n[127.0.0.1]:2222 " + key + "\n");
  auto hash = RunCommand({"ssh-keygen", "-H", "-f", tmp_ / "known_hosts"});
  ASSERT_EQ(hash.exit_code, 0) << hash.err;
  std::string hashed = ReadFile(tmp_ / "known_hosts");
  ASSERT_EQ(hashed.find("git.example.com"), std::string::npos) << hashed;
  EXPECT_EQ(CheckKnownHost(hashed, "git.example.com", 22, Blob(key)), HostKeyVerdict::kKnown);
  EXPECT_EQ(CheckKnownHost(hashed, "127.0.0.1", 2222, Blob(key)), HostKeyVerdict::kKnown);
  EXPECT_EQ(CheckKnownHost(hashed, "git.example.org", 22, Blob(key)), HostKeyVerdict::kUnknown);

  std::string patterns = "*.example.com,!evil.example.com " + key + "\n";
  EXPECT_EQ(CheckKnownHost(patterns, "git.example.com", 22, Blob(key)), HostKeyVerdict::kKnown);
  EXPECT_EQ(CheckKnownHost(patterns, "evil.example.com", 22, Blob(key)), HostKeyVerdict::kUnknown);
  std::string revoked = "@revoked * " + other + "\ngit.example.com " + other + "\n";
  EXPECT_EQ(CheckKnownHost(revoked, "git.example.com", 22, Blob(other)), HostKeyVerdict::kChanged);
  EXPECT_EQ(CheckKnownHost("git.example.com ssh-ed25519 not-base64!\n", "git.example.com", 22, Blob(key)),
            HostKeyVerdict::kUnknown);
}

}  // namespace
}  // namespace cairn::cli
