// --cache-to / --cache-from through the real binary: a store exports its step cache to Debian's
// docker-registry on 127.0.0.1 (or a shared directory), a fresh store imports it and builds
// nothing, bit for bit the same image; a damaged or missing cache only costs a rebuild.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "tests/store/registry/test_registry.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

namespace treg = cairn::store::registry::testing;

// Three stages; the first RUN writes random bytes, so a second store can only hold the same
// /stamp if it reused the first store's layer instead of running the step.
constexpr const char* kDockerfile =
    "FROM busybox AS base\n"
    "RUN head -c 16 /dev/urandom | od -x > /stamp\n"
    "FROM base AS other\n"
    "RUN echo other > /other\n"
    "FROM base\n"
    "COPY --from=other /other /copied\n"
    "RUN echo final > /final\n";
constexpr int kSteps = 4;  // RUN, RUN, COPY, RUN

class RemoteCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteTextFile(ctx_ / "Dockerfile", kDockerfile);
    ImportBusybox(Store("a"));
  }
  std::string Store(const std::string& name) { return tmp_ / ("store-" + name); }
  std::vector<std::string> Env() const { return {"DOCKER_CONFIG=" + (tmp_ / "docker"), "CAIRN_REGISTRIES_CONFIG="}; }

  // Builds in store `name` (busybox imported first when the store is new); returns the result.
  CommandResult Build(const std::string& name, std::vector<std::string> extra) {
    if (!PathExists(Store(name))) ImportBusybox(Store(name));
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", "app", "--metadata-file",
                                     tmp_ / (name + ".json")};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(ctx_.path());
    return Cairn(Store(name), args, Env());
  }
  std::string ManifestDigest(const std::string& name) {
    return nlohmann::json::parse(ReadFile(tmp_ / (name + ".json")))["containerimage.digest"];
  }
  std::string Cat(const std::string& name, const std::string& path) {
    auto r = Cairn(Store(name), {"run", "--rm", "app", "cat", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // The step keys store `name` recorded (<store>/cache/<key hex>.json), sorted.
  std::string Keys(const std::string& name) {
    std::string out;
    for (auto& f : ListDir(Store(name) + "/cache")) out += f.substr(0, 12) + " ";
    return out;
  }
  static int Count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
    return n;
  }
  // The layer digests of the cache manifest a build reported exporting.
  std::vector<std::string> CacheLayers(const std::string& store, const CommandResult& export_build) {
    size_t at = export_build.err.rfind("records, sha256:");
    EXPECT_NE(at, std::string::npos) << export_build.err;
    std::string digest = export_build.err.substr(at + 9, 71);
    auto manifest = nlohmann::json::parse(ReadFile(store + "/blobs/sha256/" + digest.substr(7)));
    EXPECT_EQ(manifest["config"]["mediaType"], "application/vnd.cairn.cache.config.v1+json");
    std::vector<std::string> out;
    for (auto& l : manifest["layers"]) out.push_back(l["digest"]);
    return out;
  }
  static bool HasBlob(const std::string& store, const std::string& digest) {
    return PathExists(store + "/blobs/sha256/" + digest.substr(7));
  }

  TempDir tmp_, ctx_;
};

TEST_F(RemoteCacheTest, AFreshStoreBuildsNothingFromARegistryCacheAndGetsTheSameImage) {
  treg::TestRegistry registry;
  std::string cache = registry.host() + "/cache/app:buildcache";
  auto a = Build("a", {"--cache-to", "type=registry,ref=" + cache + ",mode=max"});
  ASSERT_EQ(a.exit_code, 0) << a.err << registry.log();
  EXPECT_EQ(CacheLayers(Store("a"), a).size(), 4u);  // every RUN/COPY layer of every stage

  auto b = Build("b", {"--cache-from", "type=registry,ref=" + cache});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(Count(b.err, " CACHED\n"), kSteps) << b.err;
  EXPECT_EQ(ManifestDigest("b"), ManifestDigest("a"));
  EXPECT_EQ(Cat("b", "/stamp"), Cat("a", "/stamp"));  // the RUN did not run again
  // Lazy: the "other" stage's layer was never needed (its step hit, COPY --from hit), so B
  // never fetched it; the image's own layers are all here and the store is sound.
  std::string other_layer;
  for (auto& d : CacheLayers(Store("a"), a))
    if (!HasBlob(Store("b"), d)) other_layer = d;
  EXPECT_FALSE(other_layer.empty()) << "store b fetched every cached layer";
  auto check = Cairn(Store("b"), {"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  // Exporting an unchanged cache again names the very same manifest and uploads nothing.
  auto again = Build("a", {"--cache-to", "type=registry,ref=" + cache + ",mode=max"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto digest_of = [](const std::string& err) { return err.substr(err.rfind("records, sha256:"), 80); };
  EXPECT_EQ(digest_of(again.err), digest_of(a.err));
  EXPECT_NE(again.err.find("(blobs: 0 uploaded, 0 mounted, 5 already there)"), std::string::npos) << again.err;
}

TEST_F(RemoteCacheTest, CacheLayersTheRegistryHasInAnotherRepositoryAreMountedNotUploaded) {
  treg::TestRegistry registry;
  std::string image = registry.host() + "/team/app:1";
  auto pushed = Cairn(Store("a"), {"build", "-t", image, "--push", ctx_.path()}, Env());
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err << registry.log();
  auto a = Cairn(Store("a"), {"build", "--progress", "plain", "-t", image, "--cache-to",
                              "type=registry,ref=" + registry.host() + "/cache/app:c", ctx_.path()}, Env());
  ASSERT_EQ(a.exit_code, 0) << a.err << registry.log();
  // The image's three step layers come from team/app; only the cache config is new.
  EXPECT_NE(a.err.find("(blobs: 1 uploaded, 3 mounted, 0 already there)"), std::string::npos) << a.err;
}

TEST_F(RemoteCacheTest, ADirectoryCacheInMinModeHoldsTheImageStepsOnly) {
  std::string dir = tmp_ / "shared-cache";
  auto a = Build("a", {"--cache-to", "type=local,dest=" + dir});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(PathExists(dir + "/index.json"));
  EXPECT_TRUE(PathExists(dir + "/oci-layout"));

  auto c = Build("c", {"--cache-from", "type=local,src=" + dir});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  // The image's steps (base RUN, COPY, final RUN) hit; the "other" stage's RUN was not exported.
  // On a failure, what is needed to see why: both builds and the step keys each store recorded.
  EXPECT_EQ(Count(c.err, " CACHED\n"), kSteps - 1) << c.err << "\nstore a built:\n" << a.err
                                                    << "\nstore a keys: " << Keys("a") << "\nstore c keys: " << Keys("c");
  EXPECT_EQ(ManifestDigest("c"), ManifestDigest("a"));
  EXPECT_EQ(Cat("c", "/stamp"), Cat("a", "/stamp"));
}

TEST_F(RemoteCacheTest, ACorruptLayerInTheRegistryFallsBackToBuildingWithAWarning) {
  treg::TestRegistry registry;
  std::string cache = registry.host() + "/cache/app:c";
  auto a = Build("a", {"--cache-to", "type=registry,ref=" + cache});
  ASSERT_EQ(a.exit_code, 0) << a.err << registry.log();
  for (auto& digest : CacheLayers(Store("a"), a)) {  // flip one byte of each layer the registry holds
    std::string path = registry.BlobDataPath(digest);
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f) << path;
    f.seekg(20);
    char c = 0;
    f.get(c);
    f.seekp(20);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  auto d = Build("d", {"--cache-from", cache});  // docker's short form: a bare reference
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.err.find("warning: --cache-from " + cache), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("digest mismatch"), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("building again without the imported cache"), std::string::npos) << d.err;
  EXPECT_NE(Cat("d", "/stamp"), Cat("a", "/stamp"));  // really built here
  auto check = Cairn(Store("d"), {"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(RemoteCacheTest, AMissingCacheWarnsAndBuilds) {
  treg::TestRegistry registry;
  auto b = Build("b", {"--cache-from", "type=registry,ref=" + registry.host() + "/cache/none:x", "--cache-from",
                       "type=local,src=" + (tmp_ / "nothing-here")});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.err.find("not found"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("nothing-here/index.json does not exist"), std::string::npos) << b.err;
  EXPECT_EQ(Count(b.err, "building without it"), 2) << b.err;
}

TEST_F(RemoteCacheTest, BadCacheOptionsAreRejectedBeforeTheBuild) {
  auto no_ref = Build("a", {"--cache-to", "type=registry"});
  EXPECT_NE(no_ref.exit_code, 0);
  EXPECT_NE(no_ref.err.find("--cache-to type=registry: needs ref="), std::string::npos) << no_ref.err;
  auto mode = Build("a", {"--cache-to", "type=local,dest=/tmp/x,mode=most"});
  EXPECT_NE(mode.err.find("mode is min or max"), std::string::npos) << mode.err;
  auto zstd = Build("a", {"--cache-to", "type=local,dest=/tmp/x,compression=zstd"});
  EXPECT_NE(zstd.exit_code, 0);
  EXPECT_NE(zstd.err.find("pass the same compression with --compression"), std::string::npos) << zstd.err;
  EXPECT_EQ(no_ref.err.find("RUN"), std::string::npos) << "the build started: " << no_ref.err;
}

}  // namespace
}  // namespace cairn::testing
