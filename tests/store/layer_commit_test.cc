#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <memory>

#include "base/digest.h"
#include "base/fs.h"
#include "store/layer.h"
#include "store/tree_sum.h"
#include "tar_util.h"
#include "test_dir.h"

namespace cairn::store {
namespace {

using testing::ReadTar;
using testing::TarEntry;
using testing::TarNames;
using testing::TempDirTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kEpoch = 1000000000;  // 2001-09-09

void Write(const std::string& path, const std::string& data, mode_t mode = 0644) {
  MakeDirs(path.substr(0, path.rfind('/')));
  WriteFileAtomic(path, data, mode);
  ::chmod(path.c_str(), mode);  // exact bits, setuid included
}

void SetMtime(const std::string& path, int64_t t) {
  struct timespec ts[2] = {{t, 0}, {t, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// The uncompressed tar bytes of a layer blob.
std::string RawTar(const std::string& blob) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  EXPECT_EQ(archive_read_open_filename(a.get(), blob.c_str(), 1 << 16), ARCHIVE_OK);
  archive_entry* e;
  EXPECT_EQ(archive_read_next_header(a.get(), &e), ARCHIVE_OK);
  std::string out;
  char buf[1 << 16];
  la_ssize_t n;
  while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

class LayerCommitTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    store_ = std::make_unique<Store>(Path("store"));
    MakeDirs(Path("upper"));
  }
  Layer Commit(const std::string& dir, bool overlay = true, std::set<std::string> exclude = {}) {
    SnapshotOptions o;
    o.source_date_epoch = kEpoch;
    o.overlay_upper = overlay;
    o.exclude = std::move(exclude);
    auto l = CommitLayerFromDir(*store_, dir, o);
    EXPECT_TRUE(l.has_value());
    return l.value_or(Layer{});
  }
  std::vector<TarEntry> Entries(const Layer& l) { return ReadTar(store_->BlobPath(l.descriptor.digest)); }
  std::string U(const std::string& rel) { return Path("upper/" + rel); }

  std::unique_ptr<Store> store_;
};

TEST_F(LayerCommitTest, EntriesAreSortedRelativeAndNormalised) {
  Write(U("etc/passwd"), "root:x:0:0\n", 0644);
  Write(U("bin/su"), "su", 04755);
  MakeDirs(U("tmp"));
  ::chmod(U("tmp").c_str(), 01777);
  ::chown(U("bin/su").c_str(), 1000, 50);
  ::chmod(U("bin/su").c_str(), 04755);  // chown cleared setuid
  SetMtime(U("etc/passwd"), 500);  // older than the epoch: kept

  Layer l = Commit(Path("upper"));
  std::vector<TarEntry> es = Entries(l);
  std::vector<std::string> names;
  for (auto& e : es) names.push_back(e.name);
  EXPECT_THAT(names, ElementsAre("bin/", "bin/su", "etc/", "etc/passwd", "tmp/"));
  EXPECT_EQ(es[1].mode, 04755u);
  EXPECT_EQ(es[1].uid, 1000);
  EXPECT_EQ(es[1].gid, 50);
  EXPECT_EQ(es[1].uname, "");
  EXPECT_EQ(es[1].gname, "");
  EXPECT_EQ(es[1].mtime, kEpoch);  // written just now: clamped
  EXPECT_EQ(es[3].mode, 0644u);
  EXPECT_EQ(es[3].mtime, 500);
  EXPECT_EQ(es[3].data, "root:x:0:0\n");
  EXPECT_EQ(es[4].mode, 01777u);
  EXPECT_EQ(l.descriptor.media_type, media::kOciLayerGzip);
  EXPECT_THAT(l.descriptor.annotations.at("io.cairn.layer.compression"), HasSubstr("gzip level 1"));
}

TEST_F(LayerCommitTest, DigestsDescribeTheBlobAndTheTar) {
  Write(U("a"), "x");
  Layer l = Commit(Path("upper"));
  std::string blob = store_->BlobPath(l.descriptor.digest);
  EXPECT_EQ(DigestOfFile(blob), l.descriptor.digest);
  EXPECT_EQ(DigestOf(RawTar(blob)), l.diff_id);
  // gzip header: no name flag, mtime 0, OS "unknown".
  std::string gz = ReadFile(blob);
  EXPECT_EQ(gz[3], 0);
  EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0'));
  EXPECT_EQ(static_cast<unsigned char>(gz[9]), 255);
}

TEST_F(LayerCommitTest, SymlinksAndHardlinks) {
  Write(U("b/file"), "data");
  ASSERT_EQ(::link(U("b/file").c_str(), U("a-link").c_str()), 0);
  ASSERT_EQ(::symlink("/b/file", U("sym").c_str()), 0);
  std::vector<TarEntry> es = Entries(Commit(Path("upper")));
  ASSERT_EQ(es.size(), 4u);
  // "a-link" sorts first, so it carries the data; "b/file" links to it.
  EXPECT_EQ(es[0].name, "a-link");
  EXPECT_EQ(es[0].type, 'f');
  EXPECT_EQ(es[0].data, "data");
  EXPECT_EQ(es[2].name, "b/file");
  EXPECT_EQ(es[2].type, 'h');
  EXPECT_EQ(es[2].link, "a-link");
  EXPECT_EQ(es[3].name, "sym");
  EXPECT_EQ(es[3].type, 'l');
  EXPECT_EQ(es[3].link, "/b/file");
}

TEST_F(LayerCommitTest, OverlayWhiteoutsAndOpaqueDirs) {
  MakeDirs(U("etc"));
  ASSERT_EQ(::mknod(U("etc/gone").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  MakeDirs(U("var/cache"));
  Write(U("var/cache/new"), "n");
  ASSERT_EQ(::setxattr(U("var/cache").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(::setxattr(U("var/cache/new").c_str(), "user.note", "hi", 2, 0), 0);
  std::vector<TarEntry> es = Entries(Commit(Path("upper")));
  std::vector<std::string> names;
  for (auto& e : es) names.push_back(e.name);
  EXPECT_THAT(names, ElementsAre("etc/", "etc/.wh.gone", "var/", "var/cache/", "var/cache/.wh..wh..opq", "var/cache/new"));
  EXPECT_EQ(es[1].type, 'f');
  EXPECT_EQ(es[1].mode, 0u);
  EXPECT_EQ(es[1].mtime, kEpoch);
  EXPECT_EQ(es[4].type, 'f');
  EXPECT_TRUE(es[3].xattrs.empty()) << "overlay bookkeeping leaked";
  EXPECT_EQ(es[5].xattrs.at("user.note"), "hi");
}

// Overlay copies a file up when it is only opened for writing, chmod-ed to its own mode, or
// linked; such copies are no change (DESIGN: "copied-up entries that did not change are dropped").
TEST_F(LayerCommitTest, CopyUpsThatChangedNothingAreLeftOut) {
  std::string low = Path("lower2"), high = Path("lower1");  // lowerdir=lower1:lower2
  for (const char* f : {"etc/same", "etc/touched", "etc/mode", "etc/content", "etc/linked", "var/hidden"}) {
    Write(low + "/" + f, "v1\n");
    Write(U(f), "v1\n");
  }
  Write(high + "/etc/content", "v2\n");  // the top-most lower decides what the container saw
  Write(U("etc/content"), "v2\n");
  MakeDirs(high + "/var");
  ASSERT_EQ(::setxattr((high + "/var").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);  // hides var/hidden
  ::chmod(U("etc/mode").c_str(), 0600);
  ASSERT_EQ(::link(U("etc/linked").c_str(), U("etc/new-link").c_str()), 0);  // the step linked to it
  for (const std::string& d : {low + "/etc", low + "/var", high + "/etc", high + "/var", U("etc"), U("var")})
    SetMtime(d, 100);
  for (const char* f : {"etc/same", "etc/mode", "etc/linked", "var/hidden"}) SetMtime(low + "/" + f, 100), SetMtime(U(f), 100);
  SetMtime(high + "/etc/content", 100);
  SetMtime(U("etc/content"), 100);
  SetMtime(low + "/etc/touched", 100);
  SetMtime(U("etc/touched"), 200);

  SnapshotOptions o;
  o.source_date_epoch = kEpoch;
  o.lowerdirs = {high, low};
  auto l = CommitLayerFromDir(*store_, Path("upper"), o);
  ASSERT_TRUE(l.has_value());
  EXPECT_THAT(TarNames(store_->BlobPath(l->descriptor.digest)),
              ElementsAre("etc/", "etc/linked", "etc/mode", "etc/new-link", "etc/touched", "var/", "var/hidden"));

  // Nothing but unchanged copy-ups: no layer at all.
  for (const char* f : {"etc/mode", "etc/linked", "etc/new-link", "etc/touched", "var/hidden"}) ::unlink(U(f).c_str());
  SetMtime(U("etc"), 100);
  ::rmdir(U("var").c_str());
  EXPECT_FALSE(CommitLayerFromDir(*store_, Path("upper"), o).has_value());
  // Without lowers every entry is a change.
  o.lowerdirs.clear();
  EXPECT_THAT(TarNames(store_->BlobPath(CommitLayerFromDir(*store_, Path("upper"), o)->descriptor.digest)),
              ElementsAre("etc/", "etc/content", "etc/same"));
}

TEST_F(LayerCommitTest, PlainTreeKeepsCharDevicesAsDevices) {
  ASSERT_EQ(::mknod(U("null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::mknod(U("zero0").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
  ASSERT_EQ(::mkfifo(U("pipe").c_str(), 0600), 0);
  std::vector<TarEntry> es = Entries(Commit(Path("upper"), /*overlay=*/false));
  ASSERT_EQ(es.size(), 3u);
  EXPECT_EQ(es[0].name, "null");
  EXPECT_EQ(es[0].type, 'c');
  EXPECT_EQ(es[0].rdev_major, 1u);
  EXPECT_EQ(es[0].rdev_minor, 3u);
  EXPECT_EQ(es[1].type, 'p');
  EXPECT_EQ(es[2].name, "zero0");
  EXPECT_EQ(es[2].type, 'c');
}

TEST_F(LayerCommitTest, ExcludedStubsAndTheirBareParentsAreLeftOut) {
  Write(U("etc/hosts"), "127.0.0.1 localhost\n");
  MakeDirs(U("proc"));
  Write(U("app/main"), "m");
  std::vector<std::string> names = TarNames(store_->BlobPath(Commit(Path("upper"), true, {"/etc/hosts", "/proc"}).descriptor.digest));
  EXPECT_THAT(names, ElementsAre("app/", "app/main"));
}

TEST_F(LayerCommitTest, NothingLeftMeansNoLayer) {
  Write(U("etc/resolv.conf"), "nameserver 1.1.1.1\n");
  SnapshotOptions o;
  o.exclude = {"/etc/resolv.conf"};
  EXPECT_FALSE(CommitLayerFromDir(*store_, Path("upper"), o).has_value());
  MakeDirs(Path("empty"));
  EXPECT_FALSE(CommitLayerFromDir(*store_, Path("empty"), SnapshotOptions{}).has_value());
}

void MakeTree(const std::string& root, bool reversed) {
  SCOPED_TRACE(root);
  // Same content, created in a different order (different inodes, readdir order).
  std::vector<std::string> files = {"z/last", "a/first", "m/middle/deep", "m/mid"};
  if (reversed) std::reverse(files.begin(), files.end());
  for (auto& f : files) Write(root + "/" + f, "content of " + f);
  ::symlink("a/first", (root + "/link").c_str());
  ::link((root + "/z/last").c_str(), (root + "/hard").c_str());
  ::setxattr((root + "/a/first").c_str(), "user.b", "2", 1, 0);
  ::setxattr((root + "/a/first").c_str(), "user.a", "1", 1, 0);
  // vfs_cap_data v2: magic, then permitted/inheritable pairs; permitted = CAP_NET_RAW.
  const char cap[20] = {0, 0, 0, 2, 0, 0x20, 0, 0};
  ASSERT_EQ(::setxattr((root + "/a/first").c_str(), "security.capability", cap, sizeof cap, 0), 0);
  std::string long_name = root + "/" + std::string(150, 'n');
  Write(long_name, "long");  // needs a PAX path record
}

TEST_F(LayerCommitTest, SameTreeGivesSameBytesRegardlessOfHistory) {
  MakeTree(Path("one"), false);
  MakeTree(Path("two"), true);
  Layer a = Commit(Path("one"));
  Layer b = Commit(Path("two"));
  EXPECT_EQ(a.descriptor.digest, b.descriptor.digest);
  EXPECT_EQ(a.diff_id, b.diff_id);

  // Touching everything (newer than the epoch) changes nothing either.
  for (auto& f : {"z/last", "a/first", "m", "m/middle", ""}) SetMtime(Path("one/") + f, kEpoch + 12345);
  Layer c = Commit(Path("one"));
  EXPECT_EQ(c.descriptor.digest, a.descriptor.digest);

  // A second store (another machine) agrees too.
  Store other(Path("other"));
  SnapshotOptions o;
  o.source_date_epoch = kEpoch;
  EXPECT_EQ(CommitLayerFromDir(other, Path("two"), o)->descriptor.digest, a.descriptor.digest);
}

TEST_F(LayerCommitTest, PaxHeadersCarryNoPidAndXattrsAreSorted) {
  MakeTree(Path("one"), false);
  Layer l = Commit(Path("one"));
  std::string tar = RawTar(store_->BlobPath(l.descriptor.digest));
  // The PAX header of the 150-char name is named "PaxHeader/<name prefix>": no pid, no counter.
  size_t pax = tar.find("PaxHeader/nnn");
  ASSERT_NE(pax, std::string::npos);
  EXPECT_EQ(pax % 512, 0u);
  std::string pax_name = tar.substr(pax, 100).c_str();
  EXPECT_EQ(pax_name.find_first_not_of('n', 10), std::string::npos) << pax_name;
  EXPECT_LT(tar.find("user.a"), tar.find("user.b"));
  EXPECT_LT(tar.find("security.capability"), tar.find("user.a"));
  std::vector<TarEntry> es = ReadTar(store_->BlobPath(l.descriptor.digest));
  for (auto& e : es) {
    if (e.name == "a/first") {
      EXPECT_EQ(e.xattrs.size(), 3u);
    }
  }
}

// SnapshotOptions::adopt: the tree a step left becomes the layer's unpacked tree, and it must be
// exactly what extracting the blob gives (tree_sum.h's digest covers paths, types, modes, owners,
// sizes, contents, link targets, devices, xattrs and file times): otherwise a cold build (adopted
// tree) and a warm one (extracted) would show later steps different files.
TEST_F(LayerCommitTest, AnAdoptedTreeIsWhatExtractingItsBlobGives) {
  std::string low = Path("lower");
  Write(low + "/etc/same", "v1\n");
  Write(low + "/etc/old", "o\n");
  for (const std::string& p : {low + "/etc/same", low + "/etc", low + "/etc/old"}) SetMtime(p, 100);
  // What a step might leave: new, changed and copied-up-only files, a whiteout, an opaque dir,
  // hard and soft links, a fifo, a socket, a mount-point stub, overlay's own bookkeeping and a
  // time after the epoch (clamped) and before it with nanoseconds (kept, in whole seconds).
  Write(U("etc/same"), "v1\n");
  SetMtime(U("etc/same"), 100);
  ASSERT_EQ(::setxattr(U("etc/same").c_str(), "trusted.overlay.origin", "\x00\x01", 2, 0), 0);
  ASSERT_EQ(::mknod(U("etc/old").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_EQ(::setxattr(U("etc").c_str(), "trusted.overlay.impure", "y", 1, 0), 0);
  ASSERT_EQ(::setxattr(Path("upper").c_str(), "trusted.overlay.uuid", "0123456789abcdef", 16, 0), 0);
  SetMtime(U("etc"), 100);
  Write(U("app/bin/run"), "#!/bin/sh\n", 04755);
  Write(U("app/data"), std::string(200000, 'd'), 0600);
  ASSERT_EQ(::link(U("app/data").c_str(), U("app/data-link").c_str()), 0);
  ASSERT_EQ(::symlink("bin/run", U("app/run").c_str()), 0);
  ASSERT_EQ(::mkfifo(U("app/fifo").c_str(), 0640), 0);
  ASSERT_EQ(::setxattr(U("app/data").c_str(), "user.note", "kept", 4, 0), 0);
  ASSERT_EQ(::lchown(U("app/run").c_str(), 123, 456), 0);
  MakeDirs(U("var/cache"));
  Write(U("var/cache/new"), "n");
  ASSERT_EQ(::setxattr(U("var/cache").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  Write(U("run/secrets/stub"), "");
  {
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::string path = U("app/sock");
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    ASSERT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  struct timespec early[2] = {{500, 123456789}, {500, 123456789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, U("app/bin/run").c_str(), early, AT_SYMLINK_NOFOLLOW), 0);
  SetMtime(U("app/data"), kEpoch + 5000);

  SnapshotOptions o;
  o.source_date_epoch = kEpoch;
  o.lowerdirs = {low};
  o.exclude = {"/run/secrets/stub"};
  o.adopt = true;
  auto layer = CommitLayerFromDir(*store_, Path("upper"), o);
  ASSERT_TRUE(layer.has_value());
  EXPECT_FALSE(PathExists(Path("upper"))) << "the tree moved into the store";
  ASSERT_TRUE(store_->HasUnpackedLayer(layer->diff_id));
  std::string adopted = store_->UnpackedLayer(layer->descriptor, layer->diff_id);

  MakeDirs(Path("extracted"));
  ExtractLayer(store_->BlobPath(layer->descriptor.digest), Path("extracted"));
  ::chmod(Path("extracted").c_str(), 0755);  // as the store unpacks
  EXPECT_EQ(TreeDigest(adopted), TreeDigest(Path("extracted")));
  EXPECT_EQ(ReadFile(TreeSumPath(adopted)), TreeDigest(Path("extracted"))) << "the sum check verifies";
  EXPECT_FALSE(PathExists(adopted + "/etc/same")) << "an unchanged copy-up is no part of the layer";
  EXPECT_FALSE(PathExists(adopted + "/run")) << "a stub's bare parents neither";
  struct stat st;
  ASSERT_EQ(::lstat((adopted + "/app/data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, kEpoch);
  EXPECT_EQ(st.st_nlink, 2u);
  ASSERT_EQ(::lstat((adopted + "/app/bin/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 500);
  EXPECT_EQ(st.st_mtim.tv_nsec, 0);

  // The same layer again (a cache miss that made identical bytes): the store keeps its tree.
  Write(U("x"), "x");
  SnapshotOptions again;
  again.adopt = true;
  auto first = CommitLayerFromDir(*store_, Path("upper"), again);
  MakeDirs(Path("upper2"));
  Write(Path("upper2/x"), "x");
  auto second = CommitLayerFromDir(*store_, Path("upper2"), again);
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(PathExists(Path("upper2/x"))) << "not moved over the tree the store has";
}

}  // namespace
}  // namespace cairn::store
