// The isolation level's words and settings (runtime/isolation.h), without containers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "runtime/isolation.h"

namespace cairn::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// /proc/self/status of root in `docker run` with its defaults: seccomp filter, docker's caps.
constexpr const char* kDockerDefault = "Name:\tcairn\nNoNewPrivs:\t0\nSeccomp:\t2\nCapEff:\t00000000a80425fb\n";
constexpr const char* kUnconfinedWithSysAdmin = "NoNewPrivs:\t0\nSeccomp:\t0\nCapEff:\t00000000a82425fb\n";

TEST(IsolationWords, DockersDefaultsNameTheSeccompProfileAndTheMissingCapability) {
  std::string why = DescribeNamespaceRefusal(kDockerDefault, 15000, true);
  EXPECT_THAT(why, HasSubstr("a seccomp filter refuses namespaces"));
  EXPECT_THAT(why, HasSubstr("--security-opt seccomp=unconfined"));
  EXPECT_THAT(why, HasSubstr("lacks CAP_SYS_ADMIN (--cap-add SYS_ADMIN)"));
}

TEST(IsolationWords, SeccompIsLeftOutWhenAUserNamespaceWorkedAnyway) {
  std::string why = DescribeNamespaceRefusal(kDockerDefault, 15000, true, /*seccomp_too=*/false);
  EXPECT_THAT(why, Not(HasSubstr("seccomp")));
  EXPECT_THAT(why, HasSubstr("CAP_SYS_ADMIN"));
}

TEST(IsolationWords, SwitchedOffUserNamespacesAndNoNewPrivsAreNamedForANonRootUser) {
  std::string status = "NoNewPrivs:\t1\nSeccomp:\t0\nCapEff:\t0000000000000000\n";
  std::string why = DescribeNamespaceRefusal(status, 0, false);
  EXPECT_THAT(why, HasSubstr("max_user_namespaces is 0"));
  EXPECT_THAT(why, HasSubstr("no_new_privs is set"));
  EXPECT_THAT(why, Not(HasSubstr("CAP_SYS_ADMIN")));  // not a fix for a non-root user
}

TEST(IsolationWords, NothingKnownStillSaysSomething) {
  EXPECT_EQ(DescribeNamespaceRefusal(kUnconfinedWithSysAdmin, 15000, true),
            "the kernel or the container's settings refuse them");
}

TEST(IsolationSetting, AcceptsTheFourValuesAndNamesThemOnAnError) {
  EXPECT_EQ(ParseIsolation(""), std::nullopt);
  EXPECT_EQ(ParseIsolation("auto"), std::nullopt);
  EXPECT_EQ(ParseIsolation("namespaces"), Isolation::kNamespaces);
  EXPECT_EQ(ParseIsolation("userns"), Isolation::kUserNamespace);
  EXPECT_EQ(ParseIsolation("chroot"), Isolation::kChroot);
  try {
    ParseIsolation("none");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("CAIRN_ISOLATION=none is not an isolation level: use auto (the default), namespaces, userns or chroot"));
  }
}

TEST(IsolationSetting, WithoutEnterIsolationTheLevelIsFullNamespacesAndNothingIsSaid) {
  EXPECT_EQ(CurrentIsolation().level, Isolation::kNamespaces);
  EXPECT_EQ(IsolationNote(), "");
  EXPECT_EQ(RunUnavailableReason(), "");
}

}  // namespace
}  // namespace cairn::runtime
