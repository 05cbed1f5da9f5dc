#include "builder/git_source.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace cairn::builder {
namespace {

TEST(GitSourceTest, GitSchemesAndDotGitPathsAreRepositories) {
  EXPECT_TRUE(IsGitUrl("https://host/team/repo.git"));
  EXPECT_TRUE(IsGitUrl("https://host/team/repo.git#main:sub"));
  EXPECT_TRUE(IsGitUrl("git://host/repo"));
  EXPECT_TRUE(IsGitUrl("ssh://git@host/repo"));
  EXPECT_TRUE(IsGitUrl("git@host:team/repo.git#v1"));
  EXPECT_FALSE(IsGitUrl("https://host/tool.tar.gz"));
  EXPECT_FALSE(IsGitUrl("https://host/x.git.tar"));
  EXPECT_FALSE(IsGitUrl("src/repo.git"));
}

TEST(GitSourceTest, TheFragmentIsRefAndSubdir) {
  GitUrl u = ParseGitUrl("https://host/repo.git#v1.2:docker/app/");
  EXPECT_EQ(u.remote, "https://host/repo.git");
  EXPECT_EQ(u.ref, "v1.2");
  EXPECT_EQ(u.subdir, "docker/app");
  GitUrl head = ParseGitUrl("git@host:repo.git");
  EXPECT_EQ(head.remote, "git@host:repo.git");
  EXPECT_EQ(head.ref, "");
  EXPECT_EQ(head.subdir, "");
  EXPECT_EQ(ParseGitUrl("git://h/r#:sub").subdir, "sub");
  EXPECT_EQ(ParseGitUrl("git://h/r#main:.").subdir, "");
}

TEST(GitSourceTest, ASubdirOutsideTheRepositoryIsRefused) {
  for (const char* url : {"git://h/r#main:../x", "git://h/r#main:a/../../x", "git://h/r#main:/etc", "git://h/r#:a//b"})
    EXPECT_THROW(ParseGitUrl(url), Error) << url;
}

TEST(GitSourceTest, UserinfoNeverReachesTheDisplay) {
  EXPECT_EQ(RedactUrl("https://ci:s3cret@host/repo.git#main"), "https://host/repo.git#main");
  EXPECT_EQ(ParseGitUrl("https://tok@host/repo.git").display, "https://host/repo.git");
  EXPECT_EQ(RedactUrl("https://host/a@b.git"), "https://host/a@b.git");
  EXPECT_EQ(RedactUrl("git@host:repo.git"), "git@host:repo.git");
}

TEST(GitSourceTest, AChecksumIsACommitPrefix) {
  GitCheckout c;
  c.commit = "0123456789abcdef0123456789abcdef01234567";
  c.display = "git://h/r";
  EXPECT_NO_THROW(CheckGitChecksum(c, c.commit));
  EXPECT_NO_THROW(CheckGitChecksum(c, "0123456"));
  EXPECT_THROW(CheckGitChecksum(c, "012345"), Error);  // too short to name a commit
  EXPECT_THROW(CheckGitChecksum(c, "sha256:" + std::string(64, 'a')), Error);
  try {
    CheckGitChecksum(c, "fedcba9");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ADD git://h/r: checksum mismatch: expected commit fedcba9, got 0123456789abcdef0123456789abcdef01234567");
  }
}

}  // namespace
}  // namespace cairn::builder
