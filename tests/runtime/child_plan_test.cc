// The plan the parent computes before clone(): testable without privileges.
#include "runtime/child_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::runtime {
namespace {

using ::testing::HasSubstr;

ContainerSpec BasicSpec() {
  ContainerSpec spec;
  spec.lowerdirs = {"/store/l/a", "/store/l/b"};
  spec.upperdir = "/store/tmp/x/upper";
  spec.workdir = "/store/tmp/x/work";
  spec.argv = {"sh", "-c", "true"};
  spec.env = {"PATH=/bin:/usr/bin", "A=1"};
  return spec;
}

TEST(OverlayOptionsTest, ListsLowerdirsTopFirstAndDisablesIndexRedirectMetacopy) {
  std::string cwd;
  EXPECT_EQ(OverlayOptions({"/l/top", "/l/base"}, "/u", "/w", &cwd).value(),
            "lowerdir=/l/top:/l/base,upperdir=/u,workdir=/w,index=off,redirect_dir=off,metacopy=off");
  EXPECT_EQ(cwd, "");
}

TEST(OverlayOptionsTest, ManyLayersBecomeRelativeToTheirCommonParent) {
  std::vector<std::string> lowers;
  // 120 layers named like docker's short links (26 characters) under a long parent.
  for (int i = 0; i < 120; ++i) lowers.push_back("/var/lib/cairn/layers/" + std::string(23, 'a' + i % 26) + std::to_string(100 + i));
  std::string cwd;
  std::string options = OverlayOptions(lowers, "/var/lib/cairn/tmp/s/upper", "/var/lib/cairn/tmp/s/work", &cwd).value();
  EXPECT_EQ(cwd, "/var/lib/cairn/layers");
  EXPECT_THAT(options, ::testing::StartsWith("lowerdir=" + std::string(23, 'a') + "100:"));
  EXPECT_THAT(options, HasSubstr(",upperdir=/var/lib/cairn/tmp/s/upper,"));
  EXPECT_LE(options.size(), 4095u);
}

TEST(OverlayOptionsTest, TooManyLayersEvenRelativeGoLayerByLayer) {
  ContainerSpec spec = BasicSpec();
  spec.lowerdirs.clear();
  for (int i = 0; i < 500; ++i) spec.lowerdirs.push_back("/l/" + std::string(60, 'x') + std::to_string(i));
  std::string cwd;
  EXPECT_EQ(OverlayOptions(spec.lowerdirs, "/u", "/w", &cwd), std::nullopt);
  ChildPlan plan = MakeChildPlan(spec, "/tmp/s");
  EXPECT_EQ(plan.overlay_options, "");
  EXPECT_EQ(plan.overlay_lowers, spec.lowerdirs);
  EXPECT_EQ(plan.overlay_upper, spec.upperdir);
}

TEST(OverlayOptionsTest, PathsOverlayCannotParseAreRejected) {
  std::string cwd;
  EXPECT_THROW(OverlayOptions({"/l/a,b"}, "/u", "/w", &cwd), Error);
  EXPECT_THROW(OverlayOptions({"/l/a"}, "/u:x", "/w", &cwd), Error);
}

TEST(ChildPlanTest, NewNetworkNamespaceUnlessHostNetwork) {
  ContainerSpec spec = BasicSpec();
  EXPECT_TRUE(MakeChildPlan(spec, "/tmp/s").clone_flags & CLONE_NEWNET);
  spec.network = Network::kOutbound;
  EXPECT_TRUE(MakeChildPlan(spec, "/tmp/s").clone_flags & CLONE_NEWNET);
  spec.network = Network::kHost;
  EXPECT_FALSE(MakeChildPlan(spec, "/tmp/s").clone_flags & CLONE_NEWNET);
  EXPECT_TRUE(MakeChildPlan(spec, "/tmp/s").clone_flags & CLONE_NEWPID);
}

TEST(ChildPlanTest, ScratchImageGetsAnEmptyLowerdir) {
  ContainerSpec spec = BasicSpec();
  spec.lowerdirs.clear();
  ChildPlan plan = MakeChildPlan(spec, "/tmp/s");
  EXPECT_EQ(plan.empty_lower, "/tmp/s/empty");
  EXPECT_THAT(plan.overlay_options, ::testing::StartsWith("lowerdir=/tmp/s/empty,"));
}

// The copying snapshotter (runtime/snapshotter.h): trees made on the host replace every overlay,
// so not even a path overlay's option syntax cannot carry stops the container.
TEST(ChildPlanTest, CopiedTreesReplaceTheOverlays) {
  ContainerSpec spec = BasicSpec();
  spec.lowerdirs = {"/store/l/with,comma"};
  spec.layered = {{{"/store/l/a", "/store/l/b"}, "sub", "/mnt", false}};
  CopiedTrees copied{"/store/tmp/x/work/root", {"/store/tmp/x/work/layered-0"}};
  ChildPlan plan = MakeChildPlan(spec, "/tmp/s", &copied);
  EXPECT_EQ(plan.copy_root, "/store/tmp/x/work/root");
  EXPECT_EQ(plan.overlay_options, "");
  EXPECT_TRUE(plan.overlay_lowers.empty());
  ASSERT_EQ(plan.layered.size(), 1u);
  EXPECT_EQ(plan.layered[0].merged, "/store/tmp/x/work/layered-0");
  EXPECT_EQ(plan.layered[0].options, "");  // nothing to mount in the child
  EXPECT_EQ(plan.layered[0].subpath, "sub");
  EXPECT_EQ(MakeChildPlan(BasicSpec(), "/tmp/s").copy_root, "");  // overlay otherwise
}

TEST(ChildPlanTest, ArgvEnvAndPathArePreparedForExecve) {
  ChildPlan plan = MakeChildPlan(BasicSpec(), "/tmp/s");
  ASSERT_EQ(plan.argv.size(), 4u);
  EXPECT_STREQ(plan.argv[0], "sh");
  EXPECT_EQ(plan.argv[3], nullptr);
  ASSERT_EQ(plan.envp.size(), 3u);
  EXPECT_STREQ(plan.envp[1], "A=1");
  EXPECT_EQ(plan.path, "/bin:/usr/bin");
}

TEST(ChildPlanTest, GeneratedEtcFilesNameTheHost) {
  ContainerSpec spec = BasicSpec();
  spec.hostname = "box";
  ChildPlan plan = MakeChildPlan(spec, "/tmp/s");
  ASSERT_EQ(plan.files.size(), 3u);
  EXPECT_EQ(plan.files[0].target, "/etc/hosts");
  EXPECT_THAT(plan.files[0].content, HasSubstr("127.0.0.1\tlocalhost\n"));
  EXPECT_THAT(plan.files[0].content, HasSubstr("\tbox\n"));
  EXPECT_EQ(plan.files[1].content, "box\n");
  EXPECT_EQ(plan.files[2].content, "");  // no network: no resolver
}

// The outbound network's resolver is slirp4netns's forwarder, whatever the host's resolv.conf.
TEST(ChildPlanTest, OutboundNetworkNamesTheFixedResolver) {
  ContainerSpec spec = BasicSpec();
  spec.network = Network::kOutbound;
  ChildPlan plan = MakeChildPlan(spec, "/tmp/s");
  EXPECT_EQ(plan.files[2].content, "nameserver 10.0.2.3\n");
}

TEST(ChildPlanTest, BadSpecsAreRejectedBeforeClone) {
  ContainerSpec spec = BasicSpec();
  spec.argv.clear();
  EXPECT_THROW(MakeChildPlan(spec, "/tmp/s"), Error);
  spec = BasicSpec();
  spec.cwd = "relative";
  EXPECT_THROW(MakeChildPlan(spec, "/tmp/s"), Error);
  spec = BasicSpec();
  spec.binds = {{"/nonexistent/source", "/x"}};
  EXPECT_THROW(MakeChildPlan(spec, "/tmp/s"), Error);
}

TEST(ChildPlanTest, SeccompProgramIsCompiled) { EXPECT_GT(MakeChildPlan(BasicSpec(), "/tmp/s").seccomp.size(), 10u); }

TEST(MountPointStubsTest, ListsEveryPathTheRuntimeMayCreate) {
  const auto& stubs = MountPointStubs();
  for (const char* p : {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/proc", "/sys", "/dev"})
    EXPECT_NE(std::find(stubs.begin(), stubs.end(), p), stubs.end()) << p;
}

}  // namespace
}  // namespace cairn::runtime
