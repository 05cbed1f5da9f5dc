#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <clocale>

#include "base/error.h"
#include "base/fs.h"
#include "store/layer.h"
#include "tar_util.h"
#include "test_dir.h"

namespace cairn::store {
namespace {

using testing::TarEntry;
using testing::TempDirTest;
using testing::WriteTar;
using ::testing::HasSubstr;

class LayerExtractTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    MakeDirs(Path("out"));
    MakeDirs(Path("outside"));
  }
  // Extracts entries; returns the error message ("" if it succeeded).
  std::string Extract(const std::vector<TarEntry>& entries, const std::string& filter = "") {
    WriteTar(Path("layer.tar"), entries, filter);
    try {
      ExtractLayer(Path("layer.tar"), Path("out"));
      return "";
    } catch (const Error& e) {
      return e.what();
    }
  }
  struct stat Lstat(const std::string& rel) {
    struct stat st {};
    EXPECT_EQ(::lstat(Path("out/" + rel).c_str(), &st), 0) << rel;
    return st;
  }
  void ExpectOutsideUntouched() { EXPECT_TRUE(ListDir(Path("outside")).empty()) << "wrote outside the target"; }

  TarEntry File(const std::string& name, const std::string& data = "x") {
    TarEntry e;
    e.name = name;
    e.data = data;
    return e;
  }
  TarEntry Link(const std::string& name, char type, const std::string& target) {
    TarEntry e;
    e.name = name;
    e.type = type;
    e.link = target;
    e.mode = 0777;
    return e;
  }
};

TEST_F(LayerExtractTest, RestoresOwnersModesTimesAndSpecialFiles) {
  TarEntry dir = testing::MakeEntry("bin/", 'd', 0755);
  dir.mtime = 1234;
  TarEntry su = File("bin/su", "su");
  su.mode = 04755;
  su.uid = 1000;
  su.gid = 50;
  su.mtime = 99;
  su.xattrs = {{"user.note", "hi"}, {"trusted.overlay.redirect", "/etc"}};
  TarEntry dev = testing::MakeEntry("dev/null", 'c', 0666);
  dev.rdev_major = 1;
  dev.rdev_minor = 3;
  ASSERT_EQ(Extract({dir, su, Link("bin/sh", 'l', "su"), Link("bin/su2", 'h', "bin/su"), dev, testing::MakeEntry("fifo", 'p', 0600)}), "");
  EXPECT_EQ(Lstat("bin/su").st_mode & 07777, 04755u);
  EXPECT_EQ(Lstat("bin/su").st_uid, 1000u);
  EXPECT_EQ(Lstat("bin/su").st_gid, 50u);
  EXPECT_EQ(Lstat("bin/su").st_mtim.tv_sec, 99);
  EXPECT_EQ(Lstat("bin").st_mtim.tv_sec, 1234);  // set after its children were written
  EXPECT_EQ(ReadFile(Path("out/bin/su")), "su");
  EXPECT_TRUE(S_ISLNK(Lstat("bin/sh").st_mode));
  EXPECT_EQ(Lstat("bin/su2").st_ino, Lstat("bin/su").st_ino);
  EXPECT_TRUE(S_ISCHR(Lstat("dev/null").st_mode));
  EXPECT_EQ(Lstat("dev/null").st_rdev, makedev(1, 3));
  EXPECT_TRUE(S_ISFIFO(Lstat("fifo").st_mode));
  char v[8];
  EXPECT_EQ(::getxattr(Path("out/bin/su").c_str(), "user.note", v, sizeof v), 2);
  EXPECT_LT(::getxattr(Path("out/bin/su").c_str(), "trusted.overlay.redirect", v, sizeof v), 0) << "overlay xattr planted";
}

TEST_F(LayerExtractTest, WhiteoutsBecomeOverlayWhiteouts) {
  ASSERT_EQ(Extract({testing::MakeEntry("etc/", 'd', 0755), File("etc/.wh.gone", ""), testing::MakeEntry("var/", 'd', 0755),
                     File("var/.wh..wh..opq", ""), File("var/.wh..wh.plnk", ""), File("var/kept")}),
            "");
  struct stat st = Lstat("etc/gone");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(PathExists(Path("out/etc/.wh.gone")));
  char v[4];
  ASSERT_EQ(::getxattr(Path("out/var").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_FALSE(PathExists(Path("out/var/.wh..wh.plnk")));
  EXPECT_TRUE(PathExists(Path("out/var/kept")));
}

TEST_F(LayerExtractTest, DetectsCompression) {
  for (std::string filter : {"", "gzip", "zstd"}) {
    SCOPED_TRACE(filter);
    RemoveAll(Path("out"));
    MakeDirs(Path("out"));
    ASSERT_EQ(Extract({File("./a/b", "bytes")}, filter), "");
    EXPECT_EQ(ReadFile(Path("out/a/b")), "bytes");
  }
}

TEST_F(LayerExtractTest, DotDotIsRejected) {
  EXPECT_THAT(Extract({File("a/../../outside/x")}), HasSubstr("a/../../outside/x"));
  EXPECT_THAT(Extract({File("../outside/y")}), HasSubstr("\"..\""));
  ExpectOutsideUntouched();
}

TEST_F(LayerExtractTest, AbsoluteNamesAreRejected) {
  EXPECT_THAT(Extract({File(Path("outside/abs"))}), HasSubstr("absolute"));
  ExpectOutsideUntouched();
}

TEST_F(LayerExtractTest, WritingThroughASymlinkedParentIsRejected) {
  std::string msg = Extract({Link("evil", 'l', Path("outside")), File("evil/pwned")});
  EXPECT_THAT(msg, HasSubstr("evil/pwned"));
  EXPECT_THAT(msg, HasSubstr("symlink"));
  msg = Extract({Link("rel", 'l', "../outside"), File("rel/pwned2")});
  EXPECT_THAT(msg, HasSubstr("rel/pwned2"));
  ExpectOutsideUntouched();
}

TEST_F(LayerExtractTest, HardlinksOutsideAreRejected) {
  WriteFileAtomic(Path("secret"), "s");
  EXPECT_THAT(Extract({Link("h1", 'h', "../secret")}), HasSubstr("h1"));
  EXPECT_THAT(Extract({Link("h2", 'h', Path("secret"))}), HasSubstr("h2"));
  // Through a symlinked parent: "s" -> dir outside, then a link to "s/file".
  WriteFileAtomic(Path("outside-file"), "o");
  EXPECT_THAT(Extract({Link("s", 'l', dir_), Link("h3", 'h', "s/outside-file")}), HasSubstr("h3"));
  EXPECT_FALSE(PathExists(Path("out/h1")));
  EXPECT_FALSE(PathExists(Path("out/h3")));
  ExpectOutsideUntouched();
}

TEST_F(LayerExtractTest, ReplacingASymlinkDoesNotFollowIt) {
  // A later entry with the same name replaces the symlink itself, never its target.
  WriteFileAtomic(Path("outside/target"), "original");
  ASSERT_EQ(Extract({Link("f", 'l', Path("outside/target")), File("f", "new")}), "");
  EXPECT_EQ(ReadFile(Path("outside/target")), "original");
  EXPECT_EQ(ReadFile(Path("out/f")), "new");
}

TEST_F(LayerExtractTest, CommitExtractCommitIsStable) {
  Store store(Path("store"));
  MakeDirs(Path("tree/usr/bin"));
  WriteFileAtomic(Path("tree/usr/bin/tool"), "#!/bin/sh\n", 0755);
  ::chown(Path("tree/usr/bin/tool").c_str(), 7, 8);
  ::chmod(Path("tree/usr/bin/tool").c_str(), 02755);
  ::symlink("usr/bin", Path("tree/bin").c_str());
  ::link(Path("tree/usr/bin/tool").c_str(), Path("tree/usr/bin/alias").c_str());
  ::mknod(Path("tree/gone").c_str(), S_IFCHR, makedev(0, 0));
  MakeDirs(Path("tree/opaque"));
  ::setxattr(Path("tree/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0);
  ::setxattr(Path("tree/usr/bin/tool").c_str(), "user.x", "1", 1, 0);
  SnapshotOptions o;
  o.source_date_epoch = 5000;
  auto first = CommitLayerFromDir(store, Path("tree"), o);
  ASSERT_TRUE(first);
  ExtractLayer(store.BlobPath(first->descriptor.digest), Path("out"));
  auto second = CommitLayerFromDir(store, Path("out"), o);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->descriptor.digest, first->descriptor.digest);
  EXPECT_EQ(second->diff_id, first->diff_id);
}

TEST_F(LayerExtractTest, StoreUnpacksOnceAndLinksShortly) {
  Store store(Path("store"));
  WriteFileAtomic(Path("f"), "content");
  MakeDirs(Path("tree"));
  WriteFileAtomic(Path("tree/file"), "content");
  auto layer = CommitLayerFromDir(store, Path("tree"), SnapshotOptions{});
  ASSERT_TRUE(layer);
  std::string dir = store.UnpackedLayer(layer->descriptor, layer->diff_id);
  EXPECT_EQ(ReadFile(JoinPath(dir, "file")), "content");
  EXPECT_EQ(store.UnpackedLayer(layer->descriptor, layer->diff_id), dir);
  std::string shortp = store.ShortLayerPath(layer->diff_id);
  EXPECT_LT(shortp.size(), dir.size());
  EXPECT_EQ(ReadFile(JoinPath(shortp, "file")), "content");
  EXPECT_EQ(store.ShortLayerPath(layer->diff_id), shortp);
  EXPECT_TRUE(ListDir(Path("store/tmp")).empty());
}

}  // namespace
}  // namespace cairn::store

namespace cairn::store {
namespace {

TEST_F(LayerExtractTest, NonAsciiNamesRoundTripWhateverTheLocale) {
  Store store(Path("store"));
  MakeDirs(Path("tree/caf\xc3\xa9"));
  WriteFileAtomic(Path("tree/caf\xc3\xa9/men\xc3\xbc"), "u");
  WriteFileAtomic(Path("tree/latin1-\xe9"), "not utf-8");
  SnapshotOptions o;
  auto in_c = CommitLayerFromDir(store, Path("tree"), o);
  ASSERT_TRUE(in_c);
  const char* old = ::setlocale(LC_ALL, nullptr);
  std::string saved = old ? old : "C";
  if (::setlocale(LC_ALL, "C.UTF-8")) {
    auto in_utf8 = CommitLayerFromDir(store, Path("tree"), o);
    EXPECT_EQ(in_utf8->descriptor.digest, in_c->descriptor.digest) << "layer bytes depend on the locale";
  }
  ::setlocale(LC_ALL, saved.c_str());
  ExtractLayer(store.BlobPath(in_c->descriptor.digest), Path("out"));
  EXPECT_EQ(ReadFile(Path("out/caf\xc3\xa9/men\xc3\xbc")), "u");
  EXPECT_EQ(ReadFile(Path("out/latin1-\xe9")), "not utf-8");
}

}  // namespace
}  // namespace cairn::store

namespace cairn::store {
namespace {

TEST_F(LayerExtractTest, Utf8PaxNamesFromOtherToolsAreKept) {
  // Written the way Go's archive/tar and GNU tar in a UTF-8 locale do: PAX path in UTF-8.
  std::string saved = ::setlocale(LC_ALL, nullptr);
  if (!::setlocale(LC_ALL, "C.UTF-8")) GTEST_SKIP() << "no C.UTF-8 locale";
  TarEntry f = File("\xc3\xa9t\xc3\xa9/fichier", "f");
  WriteTar(Path("layer.tar"), {testing::MakeEntry("\xc3\xa9t\xc3\xa9/", 'd', 0755), f, Link("lien", 'l', "\xc3\xa9t\xc3\xa9"),
                               Link("dur", 'h', "\xc3\xa9t\xc3\xa9/fichier")});
  ::setlocale(LC_ALL, saved.c_str());
  ExtractLayer(Path("layer.tar"), Path("out"));
  EXPECT_EQ(ReadFile(Path("out/\xc3\xa9t\xc3\xa9/fichier")), "f");
  EXPECT_EQ(ReadFile(Path("out/dur")), "f");
  char buf[64];
  ssize_t n = ::readlink(Path("out/lien").c_str(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "\xc3\xa9t\xc3\xa9");
}

}  // namespace
}  // namespace cairn::store
