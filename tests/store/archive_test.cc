#include "store/archive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/fs.h"
#include "store/image.h"
#include "tar_util.h"
#include "test_dir.h"

namespace cairn::store {
namespace {

using testing::TempDirTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

// Runs a shell command line (tests only), returns stdout; fails the test on a non-zero exit.
std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n" << out;
  return out;
}

class ArchiveTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    Shell(std::string(CAIRN_SOURCE_DIR) + "/tests/support/busybox-rootfs " + Path("rootfs") + " " + Path("busybox.tar"));
  }
};

TEST_F(ArchiveTest, ImportIsReproducibleAndReadableBySkopeo) {
  Store a(Path("a")), b(Path("b"));
  Descriptor da = ImportRootfs(a, Path("busybox.tar"), "busybox", 0);
  Descriptor db = ImportRootfs(b, Path("busybox.tar"), "busybox", 0);
  EXPECT_EQ(da.digest, db.digest);
  Image img = LoadImage(a, "busybox:latest");
  EXPECT_EQ(img.manifest_descriptor.digest, da.digest);
  ASSERT_EQ(img.layers.size(), 1u);
  EXPECT_EQ(img.config["history"][0]["created"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(img.config["history"][0]["comment"], "Imported from busybox.tar");
  EXPECT_EQ(img.config["created"], "1970-01-01T00:00:00Z");

  json inspect = json::parse(Shell("skopeo inspect oci:" + Path("a") + ":busybox:latest"));
  EXPECT_EQ(inspect["Digest"], da.digest);
  EXPECT_THAT(inspect["Layers"], ElementsAre(img.layers[0].digest));
  // The layer keeps the tree: setuid-free busybox, sticky /tmp, symlinked applets, 0700 /root.
  bool saw_tmp = false;
  for (auto& e : testing::ReadTar(a.BlobPath(img.layers[0].digest))) {
    if (e.name == "tmp/") {
      saw_tmp = true;
      EXPECT_EQ(e.mode, 01777u);
    }
    if (e.name == "root/") {
      EXPECT_EQ(e.mode, 0700u);
    }
    if (e.name == "bin/sh") {
      EXPECT_EQ(e.link, "/bin/busybox");
    }
  }
  EXPECT_TRUE(saw_tmp);
}

TEST_F(ArchiveTest, SavedArchiveIsDeterministicAndReadAsDockerAndOci) {
  Store s(Path("store"));
  Descriptor m = ImportRootfs(s, Path("busybox.tar"), "busybox:1", 0);
  s.SetTag("other/name", m);
  SaveArchive(s, {"busybox:1", "other/name"}, Path("save1.tar"));
  SaveArchive(s, {"busybox:1", "other/name"}, Path("save2.tar"));
  EXPECT_EQ(DigestOfFile(Path("save1.tar")), DigestOfFile(Path("save2.tar")));

  Image img = LoadImage(s, "busybox:1");
  std::vector<std::string> names = testing::TarNames(Path("save1.tar"));
  EXPECT_THAT(names, ::testing::IsSupersetOf({std::string("oci-layout"), std::string("index.json"), std::string("manifest.json"),
                                              "blobs/sha256/" + DigestHex(img.layers[0].digest)}));
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));

  json docker = json::parse(Shell("skopeo inspect docker-archive:" + Path("save1.tar") + ":busybox:1"));
  EXPECT_EQ(docker["Layers"].size(), 1u);
  json oci = json::parse(Shell("skopeo inspect oci-archive:" + Path("save1.tar") + ":1"));
  EXPECT_EQ(oci["Digest"], m.digest);
  EXPECT_THAT(oci["Layers"], ElementsAre(img.layers[0].digest));

  for (auto& e : testing::ReadTar(Path("save1.tar"))) {
    if (e.name == "manifest.json") {
      json mj = json::parse(e.data);
      ASSERT_EQ(mj.size(), 1u);  // one image, two names
      EXPECT_THAT(mj[0]["RepoTags"], ElementsAre("busybox:1", "other/name:latest"));
      EXPECT_EQ(mj[0]["Config"], "blobs/sha256/" + DigestHex(img.config_descriptor.digest));
    }
    if (e.name == "index.json") {
      json ij = json::parse(e.data);
      ASSERT_EQ(ij["manifests"].size(), 2u);
      EXPECT_EQ(ij["manifests"][0]["annotations"]["io.containerd.image.name"], "docker.io/library/busybox:1");
      EXPECT_EQ(ij["manifests"][1]["annotations"]["io.containerd.image.name"], "docker.io/other/name:latest");
    }
    EXPECT_EQ(e.mtime, 0);
    EXPECT_EQ(e.uid, 0);
  }
}

}  // namespace
}  // namespace cairn::store
