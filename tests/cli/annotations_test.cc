// `cairn build --annotation` and `-o ...,annotation.KEY=V`, as buildx: annotations of the image
// manifest, read back with skopeo from the registry it was pushed to and from the OCI archive;
// the -o keys cairn cannot honour (index annotations, recompression, docker media types) are
// refused naming the key. Through the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/store/registry/test_registry.h"
#include "tests/support/busybox_store.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

namespace treg = cairn::store::registry::testing;

class Annotations : public BusyboxStore<Annotations> {
 protected:
  std::vector<std::string> Env() const { return {"DOCKER_CONFIG=" + (tmp_ / "docker"), "CAIRN_REGISTRIES_CONFIG="}; }
  CommandResult Build(const std::vector<std::string>& flags) {
    WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nRUN echo hi > /hi\n");
    std::vector<std::string> args = {"build", "--progress", "plain"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(tmp_ / "ctx");
    return Cairn(Root(), args, Env());
  }
  static nlohmann::json Raw(const std::string& transport) {
    auto r = RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false", transport});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
  }

  TempDir tmp_;
};

TEST_F(Annotations, FlagAndOutputAnnotationsAreTheManifestsInTheRegistryAndTheArchive) {
  treg::TestRegistry registry;
  std::string ref = registry.host() + "/team/annotated:1";
  auto r = Build({"-t", ref, "--annotation", "org.opencontainers.image.title=hello",
                  "--annotation", "manifest:com.example.team=ci",
                  "-o", "type=registry,annotation.org.opencontainers.image.source=https://example.com/app,"
                        "annotation-manifest.com.example.build=42",
                  "-o", "type=oci,dest=" + (tmp_ / "image.tar")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json want = {{"org.opencontainers.image.title", "hello"},
                         {"com.example.team", "ci"},
                         {"org.opencontainers.image.source", "https://example.com/app"},
                         {"com.example.build", "42"}};
  EXPECT_EQ(Raw("docker://" + ref)["annotations"], want);
  EXPECT_EQ(Raw("oci-archive:" + (tmp_ / "image.tar"))["annotations"], want);

  // Without annotations the manifest has none, and is the one it was before they existed.
  auto plain = Build({"-t", "plain"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto inspect = Cairn(Root(), {"inspect", "plain"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_FALSE(nlohmann::json::parse(inspect.out)[0]["Manifest"].contains("annotations")) << inspect.out;
}

TEST_F(Annotations, KeysCairnCannotHonourAreRefusedNamingThem) {
  struct Case {
    std::vector<std::string> flags;
    std::string error;
  };
  std::vector<Case> cases = {
      {{"-o", "type=image,annotation-index.k=v"}, "annotation-index.k: cairn writes one manifest and no image index"},
      {{"--annotation", "index:k=v"}, "--annotation index:k=v: cairn annotates the image manifest only"},
      {{"--annotation", "k=a", "--annotation", "k=b"}, "--annotation k=b: annotation k is already given as \"a\""},
      {{"-o", "type=image,force-compression=true"}, "force-compression=true: cairn never recompresses a layer"},
      {{"-o", "type=image,oci-mediatypes=false"}, "oci-mediatypes=false: cairn writes OCI media types only"},
      {{"-o", "type=image,compression-level=9"}, "the layers are gzip,level=1; pass the level with --compression CODEC,level=N"},
  };
  for (auto& c : cases) {
    auto r = Build(c.flags);
    EXPECT_NE(r.exit_code, 0) << c.flags[1];
    EXPECT_NE(r.err.find(c.error), std::string::npos) << r.err;
  }
  // What cairn does anyway is accepted: the level the layers have, force-compression=false.
  auto same = Build({"-o", "type=image,compression=zstd,compression-level=5,force-compression=false,oci-mediatypes=true",
                     "--compression", "zstd,level=5"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
}

}  // namespace
}  // namespace cairn::testing
