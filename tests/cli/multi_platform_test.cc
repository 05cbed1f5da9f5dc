// Multi-platform builds through the real thing: an arm64 busybox made from Debian's
// busybox-static:arm64 and the amd64 one, pushed as one index to a real registry by skopeo;
// cairn builds FROM it for both platforms (the arm64 RUN through qemu-user-static's binfmt_misc
// handler), pushes the index, and skopeo reads every platform back.
//
// Needs root, qemu-user-static (scripts/bootstrap) and Debian's archive for the arm64 package.
// binfmt_misc is mounted and qemu-aarch64 enabled here when they are not: the test does what the
// README's one-liner does; cairn itself never registers a handler.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/fs.h"
#include "tests/store/registry/test_registry.h"
#include "tests/support/harness.h"

namespace cairn {
namespace {

using cairn::testing::Cairn;
using cairn::testing::CommandResult;
using cairn::testing::RunCommand;
using cairn::testing::TempDir;
using cairn::testing::WriteTextFile;
using nlohmann::json;
using ::testing::HasSubstr;
namespace treg = cairn::store::registry::testing;

constexpr const char* kBinfmt = "/proc/sys/fs/binfmt_misc";

// "" when arm64 programs run here through an F-flag handler, else why not (for GTEST_SKIP).
std::string EnsureArm64Emulation() {
  if (!PathExists(std::string(kBinfmt) + "/register"))
    RunCommand({"mount", "-t", "binfmt_misc", "binfmt_misc", kBinfmt});
  if (!PathExists(std::string(kBinfmt) + "/register")) return "binfmt_misc cannot be mounted here";
  std::string entry = std::string(kBinfmt) + "/qemu-aarch64";
  if (!PathExists(entry) || ReadFile(entry).rfind("enabled", 0) != 0)
    RunCommand({"update-binfmts", "--enable", "qemu-aarch64"});
  if (!PathExists(entry)) return "no qemu-aarch64 handler: install qemu-user-static (scripts/bootstrap)";
  std::string text = ReadFile(entry);
  if (text.rfind("enabled", 0) != 0 || text.find("flags: ") == std::string::npos) return "qemu-aarch64 is disabled";
  return "";
}

// The file `path` of a gzip'd layer tar, as text.
std::string FileInLayer(const std::string& blob, const std::string& path) {
  CommandResult r = RunCommand({"tar", "-xzOf", blob, path});
  return r.exit_code == 0 ? r.out : "(" + path + " not in " + blob + ": " + r.err + ")";
}

// What skopeo copy --override-arch ARCH of `source` gives: the last layer's /arch file.
std::string ArchFileOf(const std::string& source, const std::string& arch, const TempDir& tmp) {
  std::string dir = tmp / ("copy-" + arch);
  RemoveAll(dir);
  CommandResult copy = RunCommand({"skopeo", "copy", "--src-tls-verify=false", "--override-arch", arch, source, "dir:" + dir});
  if (copy.exit_code != 0) return "(skopeo copy failed: " + copy.err + ")";
  json manifest = json::parse(ReadFile(dir + "/manifest.json"));
  std::string last = manifest["layers"].back()["digest"];
  return FileInLayer(dir + "/" + DigestHex(last), "arch");
}

class MultiPlatform : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = EnsureArm64Emulation();
    if (!skip_.empty()) return;
    dir_ = new TempDir();
    registry_ = new treg::TestRegistry();
    std::string support = std::string(CAIRN_SOURCE_DIR) + "/tests/support/";
    CommandResult amd = RunCommand({support + "busybox-rootfs", *dir_ / "amd", *dir_ / "amd.tar"});
    CommandResult arm = RunCommand({support + "busybox-arm64-rootfs", *dir_ / "arm", *dir_ / "arm.tar"});
    if (amd.exit_code != 0 || arm.exit_code != 0) {
      skip_ = "busybox rootfs: " + amd.err + arm.err;
      return;
    }
    // The two bases, imported with their platforms, then pushed as one index by skopeo: the
    // index is written here by hand into an OCI layout skopeo made, as a CI job would.
    std::string store = *dir_ / "base-store", layout = *dir_ / "layout";
    json index = {{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.index.v1+json"}, {"manifests", json::array()}};
    for (auto [arch, tar] : {std::pair<std::string, std::string>{"amd64", "amd.tar"}, {"arm64", "arm.tar"}}) {
      CommandResult imported = Cairn(store, {"import", "--platform", "linux/" + arch, *dir_ / tar, "bb:" + arch});
      ASSERT_EQ(imported.exit_code, 0) << imported.err;
      ASSERT_EQ(RunCommand({"skopeo", "copy", "oci:" + store + ":bb:" + arch, "oci:" + layout + ":" + arch}).exit_code, 0);
      json layout_index = json::parse(ReadFile(layout + "/index.json"));
      for (auto& m : layout_index["manifests"])
        if (m["annotations"]["org.opencontainers.image.ref.name"] == arch)
          index["manifests"].push_back({{"mediaType", m["mediaType"]}, {"digest", m["digest"]}, {"size", m["size"]},
                                        {"platform", {{"os", "linux"}, {"architecture", arch}}}});
    }
    std::string bytes = index.dump();
    WriteTextFile(layout + "/blobs/sha256/" + DigestHex(DigestOf(bytes)), bytes);
    json layout_index = json::parse(ReadFile(layout + "/index.json"));
    layout_index["manifests"].push_back({{"mediaType", index["mediaType"]}, {"digest", DigestOf(bytes)},
                                         {"size", bytes.size()},
                                         {"annotations", {{"org.opencontainers.image.ref.name", "multi"}}}});
    WriteTextFile(layout + "/index.json", layout_index.dump());
    CommandResult push = RunCommand({"skopeo", "copy", "--all", "--dest-tls-verify=false", "oci:" + layout + ":multi",
                                     "docker://" + Base()});
    ASSERT_EQ(push.exit_code, 0) << push.err;
  }
  static void TearDownTestSuite() {
    delete registry_;
    delete dir_;
    registry_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }
  static std::string Base() { return registry_->host() + "/lib/bb:multi"; }
  std::vector<std::string> Env() const { return {"DOCKER_CONFIG=" + (tmp_ / "docker"), "CAIRN_REGISTRIES_CONFIG="}; }
  // A context whose RUN records the machine it ran on and the platform it was built for.
  std::string Context() const {
    std::string ctx = tmp_ / "ctx";
    WriteTextFile(ctx + "/Dockerfile", "FROM " + Base() +
                                           "\nARG TARGETPLATFORM\nRUN uname -m > /arch && echo $TARGETPLATFORM >> /arch\n");
    return ctx;
  }
  static std::string LastLine(const std::string& out) {
    std::string s = out;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s.substr(s.rfind('\n') + 1);
  }

  inline static std::string skip_;
  inline static TempDir* dir_ = nullptr;
  inline static treg::TestRegistry* registry_ = nullptr;
  TempDir tmp_;
};

TEST_F(MultiPlatform, BuildsEveryPlatformFromABaseIndexAndPushesTheIndex) {
  std::string ref = registry_->host() + "/app/multi:1";
  CommandResult build = Cairn(tmp_ / "store", {"build", "--progress", "plain", "--platform", "linux/arm64,linux/amd64",
                                               "-t", ref, "--push", Context()}, Env());
  ASSERT_EQ(build.exit_code, 0) << build.err << registry_->log();

  CommandResult raw = RunCommand({"skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  json index = json::parse(raw.out);
  EXPECT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(index["manifests"].size(), 2u) << raw.out;
  // amd64 first whatever order --platform gave (builder/multi_platform.h, IndexOrder).
  EXPECT_EQ(index["manifests"][0]["platform"], json({{"os", "linux"}, {"architecture", "amd64"}}));
  EXPECT_EQ(index["manifests"][1]["platform"], json({{"os", "linux"}, {"architecture", "arm64"}}));
  EXPECT_EQ("sha256:" + DigestHex(DigestOf(raw.out)), LastLine(build.out)) << "the printed ID is the index's digest";

  EXPECT_EQ(ArchFileOf("docker://" + ref, "amd64", tmp_), "x86_64\nlinux/amd64\n");
  EXPECT_EQ(ArchFileOf("docker://" + ref, "arm64", tmp_), "aarch64\nlinux/arm64\n");

  CommandResult images = Cairn(tmp_ / "store", {"images"});
  EXPECT_THAT(images.out, HasSubstr("linux/amd64,linux/arm64")) << images.out;
  CommandResult run = Cairn(tmp_ / "store", {"run", "--platform", "linux/arm64", ref, "cat", "/arch"});
  EXPECT_EQ(run.out, "aarch64\nlinux/arm64\n") << run.err;

  // Reproducible as a whole: another store, the same build, the same index digest.
  CommandResult again = Cairn(tmp_ / "store2", {"build", "--platform", "linux/amd64,linux/arm64", "-t", "again:1", Context()}, Env());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(LastLine(again.out), LastLine(build.out));
}

TEST_F(MultiPlatform, PullFetchesOnlyTheRequestedPlatformsLayers) {
  CommandResult pull = Cairn(tmp_ / "store", {"pull", "--platform", "linux/arm64", Base()}, Env());
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  CommandResult inspect = Cairn(tmp_ / "store", {"inspect", Base()});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  json images = json::parse(inspect.out)[0]["Images"];
  ASSERT_EQ(images.size(), 2u) << inspect.out;
  EXPECT_FALSE(images[0].contains("Config")) << "the amd64 image was fetched too";
  EXPECT_EQ(images[1]["Config"]["architecture"], "arm64");
  EXPECT_THAT(Cairn(tmp_ / "store", {"images"}).out, HasSubstr("linux/amd64 (not pulled),linux/arm64"));
  // What the store has is still usable as one image: run, save, push (each saying what it does).
  EXPECT_EQ(Cairn(tmp_ / "store", {"run", Base(), "uname", "-m"}).out, "aarch64\n");
  CommandResult save = Cairn(tmp_ / "store", {"save", "-o", tmp_ / "one.tar", Base()});
  ASSERT_EQ(save.exit_code, 0) << save.err;
  EXPECT_THAT(save.err, HasSubstr("only some of its platforms were pulled; saving its linux/arm64 image alone"));
  CommandResult raw = RunCommand({"skopeo", "inspect", "--raw", "oci-archive:" + (tmp_ / "one.tar")});
  EXPECT_EQ(json::parse(raw.out)["mediaType"], "application/vnd.oci.image.manifest.v1+json") << raw.out;
  std::string copy = registry_->host() + "/lib/copy:1";
  ASSERT_EQ(Cairn(tmp_ / "store", {"tag", Base(), copy}).exit_code, 0);
  CommandResult push = Cairn(tmp_ / "store", {"push", copy}, Env());
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_THAT(push.err, HasSubstr("pushing its linux/arm64 image alone"));
}

TEST_F(MultiPlatform, SavedIndexIsReadBySkopeoForEachPlatform) {
  CommandResult build = Cairn(tmp_ / "store", {"build", "--platform", "linux/amd64,linux/arm64", "-t", "m:1", "-o",
                                               "type=local,dest=" + (tmp_ / "fs"), Context()}, Env());
  ASSERT_EQ(build.exit_code, 0) << build.err;
  EXPECT_EQ(ReadFile(tmp_ / "fs/linux_arm64/arch"), "aarch64\nlinux/arm64\n");  // a directory per platform, as buildx
  EXPECT_EQ(ReadFile(tmp_ / "fs/linux_amd64/arch"), "x86_64\nlinux/amd64\n");
  CommandResult save = Cairn(tmp_ / "store", {"save", "-o", tmp_ / "m.tar", "m:1"});
  ASSERT_EQ(save.exit_code, 0) << save.err;
  CommandResult raw = RunCommand({"skopeo", "inspect", "--raw", "oci-archive:" + (tmp_ / "m.tar")});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(json::parse(raw.out)["manifests"].size(), 2u) << raw.out;
  EXPECT_EQ(ArchFileOf("oci-archive:" + (tmp_ / "m.tar"), "arm64", tmp_), "aarch64\nlinux/arm64\n");
  EXPECT_EQ(ArchFileOf("oci-archive:" + (tmp_ / "m.tar"), "amd64", tmp_), "x86_64\nlinux/amd64\n");
  // podman loads it (the host platform's image), when podman is installed.
  if (RunCommand({"podman", "--version"}).exit_code == 0) {
    std::vector<std::string> podman = {"podman", "--root", tmp_ / "podman-root", "--runroot", tmp_ / "podman-run",
                                       "--storage-driver", "vfs"};
    std::vector<std::string> load = podman, inspect = podman;
    load.insert(load.end(), {"load", "-i", tmp_ / "m.tar"});
    inspect.insert(inspect.end(), {"image", "inspect", "--format", "{{.Architecture}}", "m:1"});
    CommandResult loaded = RunCommand(load);
    EXPECT_EQ(loaded.exit_code, 0) << loaded.err;
    EXPECT_EQ(RunCommand(inspect).out, "amd64\n");
  }
  // And back into another store: the same index, both platforms runnable.
  ASSERT_EQ(Cairn(tmp_ / "loaded", {"load", "-i", tmp_ / "m.tar"}).exit_code, 0);
  EXPECT_EQ(json::parse(Cairn(tmp_ / "loaded", {"inspect", "m:1"}).out)[0]["Id"], LastLine(build.out));
  EXPECT_EQ(Cairn(tmp_ / "loaded", {"run", "--platform", "linux/arm64", "m:1", "cat", "/arch"}).out, "aarch64\nlinux/arm64\n");
}

// The step cache shared between machines keys on the platform: a fresh machine importing it hits
// every step of both platforms (the emulated RUN too) and makes the same index.
TEST_F(MultiPlatform, ImportedCacheHitsEveryPlatformsSteps) {
  std::string cache = tmp_ / "cache";
  CommandResult first = Cairn(tmp_ / "a", {"build", "--platform", "linux/amd64,linux/arm64", "--cache-to",
                                           "type=local,dest=" + cache + ",mode=max", Context()}, Env());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  CommandResult second = Cairn(tmp_ / "b", {"build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64",
                                            "--cache-from", "type=local,src=" + cache, Context()}, Env());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, ::testing::Not(HasSubstr("cache miss"))) << second.err;
  size_t cached = 0;  // the RUN of each platform
  for (size_t at = second.err.find("CACHED"); at != std::string::npos; at = second.err.find("CACHED", at + 1)) ++cached;
  EXPECT_EQ(cached, 2u) << second.err;
  EXPECT_EQ(LastLine(second.out), LastLine(first.out));
}

TEST_F(MultiPlatform, IndexAndDescriptorAnnotationsAreTheIndexsAsBuildxWritesThem) {
  std::string ref = registry_->host() + "/app/annotated:1";
  CommandResult build = Cairn(tmp_ / "store", {"build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", "-t", ref,
                                               "--annotation", "index:org.opencontainers.image.version=1.2",
                                               "--annotation", "manifest,manifest-descriptor:org.example.both=b",
                                               "-o", "type=image,push=true,annotation-index.org.example.i=i,"
                                                     "annotation-manifest-descriptor.org.example.d=d,annotation.org.example.m=m",
                                               Context()}, Env());
  ASSERT_EQ(build.exit_code, 0) << build.err << registry_->log();
  CommandResult raw = RunCommand({"skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  json index = json::parse(raw.out);
  EXPECT_EQ(index["annotations"], json({{"org.opencontainers.image.version", "1.2"}, {"org.example.i", "i"}})) << raw.out;
  ASSERT_EQ(index["manifests"].size(), 2u) << raw.out;
  for (auto& d : index["manifests"]) {
    EXPECT_EQ(d["annotations"], json({{"org.example.both", "b"}, {"org.example.d", "d"}})) << raw.out;
    std::string repo = ref.substr(0, ref.rfind(':'));
    CommandResult m = RunCommand({"skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + repo + "@" + d["digest"].get<std::string>()});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    EXPECT_EQ(json::parse(m.out)["annotations"], json({{"org.example.both", "b"}, {"org.example.m", "m"}})) << m.out;
  }
  EXPECT_EQ("sha256:" + DigestHex(DigestOf(raw.out)), LastLine(build.out)) << "the printed ID is the annotated index's digest";

  // One platform has no index: refused as buildx refuses it, saying what to do.
  for (auto flag : {std::vector<std::string>{"--annotation", "index:k=v"}, {"-o", "type=image,annotation-manifest-descriptor.k=v"}}) {
    std::vector<std::string> args = {"build", "--platform", "linux/amd64", "-t", "one:1"};
    args.insert(args.end(), flag.begin(), flag.end());
    args.push_back(Context());
    CommandResult one = Cairn(tmp_ / "store", args, Env());
    EXPECT_NE(one.exit_code, 0);
    EXPECT_THAT(one.err, HasSubstr(" annotation k: a single-platform build writes one manifest and no image index")) << one.err;
  }
}

TEST_F(MultiPlatform, OnePlatformIsAPlainManifestForThatPlatform) {
  CommandResult build = Cairn(tmp_ / "store", {"build", "--platform", "linux/arm64", "-t", "one:1", Context()}, Env());
  ASSERT_EQ(build.exit_code, 0) << build.err;
  CommandResult raw = RunCommand({"skopeo", "inspect", "--raw", "oci:" + (tmp_ / "store") + ":one:1"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(json::parse(raw.out)["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  CommandResult config = RunCommand({"skopeo", "inspect", "--config", "oci:" + (tmp_ / "store") + ":one:1"});
  EXPECT_EQ(json::parse(config.out)["architecture"], "arm64") << config.out;
}

TEST_F(MultiPlatform, BaseWithoutThePlatformNamesThePlatformsItHas) {
  CommandResult build = Cairn(tmp_ / "store", {"build", "--platform", "linux/s390x", Context()}, Env());
  EXPECT_EQ(build.exit_code, 1);
  EXPECT_THAT(build.err, HasSubstr("Dockerfile:1"));
  EXPECT_THAT(build.err, HasSubstr("has no linux/s390x image (it has linux/amd64, linux/arm64)"));
  // A plain image of another platform, in the store only (the registry has no such image).
  std::string plain = registry_->host() + "/lib/plain:1";
  ASSERT_EQ(Cairn(tmp_ / "store", {"import", *dir_ / "amd.tar", plain}).exit_code, 0);
  WriteTextFile(tmp_ / "plain/Dockerfile", "FROM " + plain + "\nRUN true\n");
  CommandResult other = Cairn(tmp_ / "store", {"build", "--platform", "linux/arm64", tmp_ / "plain"}, Env());
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("Dockerfile:1:1: image " + plain + " is for linux/amd64 only, not linux/arm64"));
  CommandResult bad = Cairn(tmp_ / "store", {"build", "--platform", "linux/amd64,linux/mips", Context()}, Env());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("platform \"linux/mips\" is unknown; cairn builds linux/amd64, linux/arm64"));
}

// No handler for the platform: the RUN fails before its container starts, saying what to install
// (s390x: this test registers only qemu-aarch64; a machine with qemu-s390x enabled skips).
TEST_F(MultiPlatform, ForeignRunWithoutAHandlerNamesThePackage) {
  if (PathExists(std::string(kBinfmt) + "/qemu-s390x")) GTEST_SKIP() << "qemu-s390x is registered here";
  std::string store = tmp_ / "store";
  ASSERT_EQ(Cairn(store, {"import", "--platform", "linux/s390x", *dir_ / "amd.tar", "bb:s390x"}).exit_code, 0);
  WriteTextFile(tmp_ / "s390x/Dockerfile", "FROM bb:s390x\nRUN uname -m\n");
  CommandResult build = Cairn(store, {"build", "--platform", "linux/s390x", tmp_ / "s390x"}, Env());
  EXPECT_EQ(build.exit_code, 1);
  EXPECT_THAT(build.err, HasSubstr("Dockerfile:2"));
  EXPECT_THAT(build.err, HasSubstr("RUN for linux/s390x on this linux/amd64 machine needs an emulator: no binfmt_misc "
                                   "handler qemu-s390x is registered; install Debian's qemu-user-static"));
  CommandResult run = Cairn(store, {"run", "bb:s390x", "true"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("no binfmt_misc handler qemu-s390x is registered"));
}

// buildx's pattern for native runners: each pushes its platform by digest only, then one job
// assembles the index; it is the very index `build --platform A,B` makes.
TEST_F(MultiPlatform, IndexAssembledFromImagesPushedByDigestIsTheBuiltIndex) {
  std::string repo = registry_->host() + "/app/pd";
  std::vector<std::string> sources;
  for (const char* platform : {"linux/arm64", "linux/amd64"}) {
    CommandResult build = Cairn(tmp_ / "store", {"build", "--progress", "plain", "--platform", platform, "-t", repo + ":unused",
                                                 "-o", "type=image,push=true,push-by-digest=true", Context()}, Env());
    ASSERT_EQ(build.exit_code, 0) << build.err;
    size_t at = build.err.find("pushed " + repo + "@sha256:");
    ASSERT_NE(at, std::string::npos) << build.err;
    sources.push_back(build.err.substr(at + 7, repo.size() + 1 + 71));
  }
  CommandResult tags = RunCommand({"skopeo", "list-tags", "--tls-verify=false", "docker://" + repo});
  EXPECT_THAT(tags.out, ::testing::Not(HasSubstr("unused"))) << "push-by-digest pushed a tag";

  CommandResult create = Cairn(tmp_ / "store2", {"manifest", "create", "-t", repo + ":1", sources[0], sources[1]}, Env());
  ASSERT_EQ(create.exit_code, 0) << create.err;
  CommandResult raw = RunCommand({"skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + repo + ":1"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(json::parse(raw.out)["manifests"].size(), 2u) << raw.out;
  EXPECT_EQ(ArchFileOf("docker://" + repo + ":1", "arm64", tmp_), "aarch64\nlinux/arm64\n");

  CommandResult whole = Cairn(tmp_ / "store3", {"build", "--platform", "linux/amd64,linux/arm64", Context()}, Env());
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_EQ("sha256:" + DigestHex(DigestOf(raw.out)), LastLine(whole.out));
}

// The cross-compile pattern: the compiler stage runs natively (FROM --platform=$BUILDPLATFORM)
// and is shared by both platforms' builds; only the compile, which reads TARGETARCH, is per
// platform. The arm64 binary is an AArch64 ELF and runs under qemu in `cairn run`.
TEST_F(MultiPlatform, CrossCompiledBinaryIsAArch64AndRunsUnderEmulation) {
  if (!cairn::testing::DebianArchiveReachable()) GTEST_SKIP() << "deb.debian.org is not reachable";
  std::string store = tmp_ / "store";
  std::string why = cairn::testing::LoadDebianBase(store, "debian:bookworm");
  if (!why.empty()) GTEST_SKIP() << why;
  std::string ctx = tmp_ / "cross";
  WriteTextFile(ctx + "/hello.c",
                "#include <stdio.h>\n#include <sys/utsname.h>\n"
                "int main(void) { struct utsname u; uname(&u); printf(\"hello from %s\\n\", u.machine); return 0; }\n");
  WriteTextFile(ctx + "/Dockerfile",
                "FROM --platform=$BUILDPLATFORM debian:bookworm AS build\n"
                "RUN apt-get update && apt-get install -y --no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross\n"
                "COPY hello.c /src/\n"
                "ARG TARGETARCH\n"
                "RUN mkdir /out && case $TARGETARCH in arm64) cc=aarch64-linux-gnu-gcc;; *) cc=gcc;; esac && "
                "$cc -static -O2 -o /out/hello /src/hello.c\n"
                "FROM scratch\nCOPY --from=build /out/hello /hello\nENTRYPOINT [\"/hello\"]\n");
  CommandResult build = Cairn(store, {"build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", "-t", "cross:1", ctx}, Env());
  ASSERT_EQ(build.exit_code, 0) << build.err;
  // The apt-get step ran once: the arm64 build found it cached (one CACHED line more than amd64's).
  size_t arm = build.err.find("building for linux/arm64");
  ASSERT_NE(arm, std::string::npos) << build.err;
  EXPECT_THAT(build.err.substr(arm), ::testing::ContainsRegex("RUN apt-get update[^\n]*\n#[0-9]+ CACHED")) << build.err;

  std::string dir = tmp_ / "arm-copy";
  ASSERT_EQ(RunCommand({"skopeo", "copy", "--override-arch", "arm64", "oci:" + store + ":cross:1", "dir:" + dir}).exit_code, 0);
  json manifest = json::parse(ReadFile(dir + "/manifest.json"));
  std::string elf = FileInLayer(dir + "/" + DigestHex(manifest["layers"].back()["digest"].get<std::string>()), "hello");
  ASSERT_GT(elf.size(), 20u);
  EXPECT_EQ(elf.substr(0, 4), "\x7f" "ELF");
  EXPECT_EQ(static_cast<unsigned char>(elf[18]), 0xB7) << "e_machine is not EM_AARCH64";

  CommandResult run = Cairn(store, {"run", "--platform", "linux/arm64", "cross:1"});
  EXPECT_EQ(run.out, "hello from aarch64\n") << run.err;
  CommandResult native = Cairn(store, {"run", "cross:1"});
  EXPECT_EQ(native.out, "hello from x86_64\n") << native.err;
}

}  // namespace
}  // namespace cairn
