// Builds examples/c-multistage with the real cairn when the Debian base image exists.
// The base is made by scripts/examples-base (debootstrap, about a minute), which scripts/test
// runs first into build/examples-root; without it (no Debian archive) the test skips and says
// how to make it. The store is $CAIRN_EXAMPLES_ROOT,
// else $CAIRN_ROOT, else /var/lib/cairn: where scripts/examples-base imported the base.
#include <gtest/gtest.h>

#include "tests/support/harness.h"

using namespace cairn::testing;

namespace {

TEST(Examples, CMultistageBuildsAStaticBinaryWithoutTheCompiler) {
  const std::string root = ExamplesRoot();
  if (Cairn(root, {"inspect", "debian-gcc:bookworm"}).exit_code != 0) {
    GTEST_SKIP() << "debian-gcc:bookworm is not in " << root
                 << "; run scripts/examples-base --root " << root << " (or set CAIRN_EXAMPLES_ROOT)";
  }
  if (Cairn(root, {"inspect", "busybox:latest"}).exit_code != 0) ImportBusybox(root);

  const std::string tag = "cairn-test-c-multistage:latest";
  auto built = Cairn(root, {"build", "-t", tag, std::string(CAIRN_SOURCE_DIR) + "/examples/c-multistage"});
  ASSERT_EQ(built.exit_code, 0) << built.err;

  auto ran = Cairn(root, {"run", "--rm", tag});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out.rfind("hello from a static C binary on Linux ", 0), 0u) << ran.out;

  // Only the binary crossed stages: the shipped image has no compiler.
  auto gcc = Cairn(root, {"run", "--rm", tag, "/bin/sh", "-c", "ls /usr/bin/gcc /src 2>&1; true"});
  EXPECT_NE(gcc.out.find("No such file"), std::string::npos) << gcc.out;
  EXPECT_EQ(gcc.out.find("/usr/bin/gcc\n"), std::string::npos) << gcc.out;

  Cairn(root, {"rmi", tag});
}

}  // namespace
