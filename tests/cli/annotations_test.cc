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

// oci-mediatypes=false: docker's schema 2 media types, same config bytes (same image ID); the
// registry serves it as docker's manifest, and a fresh store pulls and runs it.
TEST_F(Annotations, OciMediatypesFalseWritesDockersManifestWithTheSameImageId) {
  treg::TestRegistry registry;
  std::string ref = registry.host() + "/team/docker-types:1";
  auto oci = Build({"-t", "oci-types"});
  ASSERT_EQ(oci.exit_code, 0) << oci.err;
  auto docker = Build({"-t", ref, "-o", "type=registry,oci-mediatypes=false"});
  ASSERT_EQ(docker.exit_code, 0) << docker.err;
  EXPECT_EQ(docker.out, oci.out);  // the image ID
  nlohmann::json m = Raw("docker://" + ref);
  EXPECT_EQ(m["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(m["config"]["mediaType"], "application/vnd.docker.container.image.v1+json");
  for (auto& l : m["layers"]) EXPECT_EQ(l["mediaType"], "application/vnd.docker.image.rootfs.diff.tar.gzip");
  auto pull = Cairn(tmp_ / "fresh", {"pull", ref}, Env());
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  auto run = Cairn(tmp_ / "fresh", {"run", "--rm", ref, "cat", "/hi"});
  EXPECT_EQ(run.out, "hi\n") << run.err;
}

TEST_F(Annotations, KeysCairnCannotHonourAreRefusedNamingThem) {
  struct Case {
    std::vector<std::string> flags;
    std::string error;
  };
  std::vector<Case> cases = {
      {{"-o", "type=image,annotation-index.k=v"}, "index annotation k: a single-platform build writes one manifest and no image index"},
      {{"--annotation", "manifest-descriptor:k=v"}, "manifest-descriptor annotation k: a single-platform build writes one manifest"},
      {{"--annotation", "blob:k=v"}, "--annotation blob:k=v: unknown annotation type \"blob\""},
      {{"--annotation", "manifest[linux/amd64]:k=v"}, "platform qualifiers ([os/arch]) are not supported"},
      {{"--annotation", "k=a", "--annotation", "k=b"}, "--annotation k=b: annotation k is already given as \"a\""},
      {{"-o", "type=image,force-compression=true"}, "force-compression=true: cairn never recompresses a layer"},
      {{"-o", "type=image,oci-mediatypes=no"}, "oci-mediatypes=no: want true or false"},
      {{"-o", "type=image,oci-mediatypes=false", "-o", "type=oci,dest=x.tar,oci-mediatypes=true", "-t", "x"},
       "another --output says oci-mediatypes=false; the image has one manifest"},
      {{"-o", "type=image,oci-mediatypes=false", "--compression", "zstd"}, "oci-mediatypes=false: docker's media types have gzip layers only, and the layers are zstd"},
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
