#include "builder/fetch_url.h"

#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::builder {
namespace {

TEST(FetchUrlTest, FileNameIsTheLastPathSegment) {
  EXPECT_EQ(UrlFileName("https://example.com/dl/tool-1.2.tar.gz"), "tool-1.2.tar.gz");
  EXPECT_EQ(UrlFileName("http://example.com/a/b.txt?token=x/y#frag"), "b.txt");
  EXPECT_EQ(UrlFileName("https://example.com/"), "");
  EXPECT_EQ(UrlFileName("https://example.com"), "");
  EXPECT_EQ(UrlFileName("https://example.com/dir/"), "");
}

TEST(FetchUrlTest, OnlyHttpAndHttpsAreDownloaded) {
  EXPECT_TRUE(IsUrlSource("http://x/y"));
  EXPECT_TRUE(IsUrlSource("https://x/y"));
  EXPECT_FALSE(IsUrlSource("git://x/y"));
  EXPECT_FALSE(IsUrlSource("src/http://"));
}

TEST(FetchUrlTest, ChecksumForm) {
  EXPECT_NO_THROW(CheckChecksumForm("sha256:" + std::string(64, 'f')));
  EXPECT_THROW(CheckChecksumForm("sha256:" + std::string(63, 'f')), Error);
  EXPECT_THROW(CheckChecksumForm("md5:" + std::string(64, 'f')), Error);
  EXPECT_THROW(CheckChecksumForm("sha256:" + std::string(64, 'F')), Error);
}

TEST(FetchUrlTest, DigestsTheDownloadAndChecksItAgainstTheChecksum) {
  testing::TempDir dir;
  auto fetch = [](const std::string& url, const std::string& path) {
    MakeDirs(path.substr(0, path.rfind('/')));
    WriteFileAtomic(path, "body of " + url);
  };
  FetchedUrl f = FetchUrl(fetch, "http://h/x", dir.path(), "");
  EXPECT_EQ(ReadFile(f.path), "body of http://h/x");
  EXPECT_EQ(f.digest, DigestOf("body of http://h/x"));
  EXPECT_NO_THROW(FetchUrl(fetch, "http://h/x", (dir / "again"), f.digest).path);
  std::string wrong = "sha256:" + std::string(64, '0');
  try {
    FetchUrl(fetch, "http://h/x", dir / "third", wrong);
    ADD_FAILURE() << "mismatch accepted";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("http://h/x"), std::string::npos) << m;
    EXPECT_NE(m.find("expected " + wrong), std::string::npos) << m;
    EXPECT_NE(m.find("got " + f.digest), std::string::npos) << m;
  }
  EXPECT_THROW(FetchUrl(nullptr, "http://h/x", dir.path(), ""), Error);
}

}  // namespace
}  // namespace cairn::builder
