// The isolation levels of runtime/isolation.h on this host, forced with CAIRN_ISOLATION: each
// gives the image namespaces give, bit for bit, and chroot refuses what needs a namespace,
// naming the option. (The levels as CI containers choose them: ci_containers_test.cc.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "tests/support/busybox_store.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kDockerfile = R"(FROM busybox
COPY message.txt /srv/
RUN mkdir -p /home/app && chown app:app /home/app && chmod 0750 /home/app
USER app
WORKDIR /home/app
RUN id > id.txt && cat /srv/message.txt > copy.txt && umask > umask.txt
USER root
RUN rm -rf /srv && mkdir /srv && echo new > /srv/only.txt && rm /bin/vi
RUN ls -a /srv > /srv-listing.txt && cat /etc/hostname > /hostname.txt
)";

class ForcedIsolation : public BusyboxStore<ForcedIsolation> {
 protected:
  void SetUp() override {
    WriteTextFile(ctx_ / "Dockerfile", kDockerfile);
    WriteTextFile(ctx_ / "message.txt", "from the context\n");
  }
  // The manifest digest of a build at `level` ("" = auto), and its output. A store of its own
  // per level, as in a CI container, where the level stays the same: overlay's markers in the
  // unpacked layers differ inside a user namespace (base/overlay_marks.h).
  std::pair<std::string, std::string> Build(const std::string& level) {
    TempDir out;
    std::string store = stores_ / (level.empty() ? std::string("auto") : level);
    ImportBusybox(store);
    auto r = Cairn(store, {"build", "--no-cache", "--progress", "plain", "--metadata-file", out / "m.json", "-t",
                            "forced:" + (level.empty() ? std::string("auto") : level), ctx_.path()},
                   {"CAIRN_ISOLATION=" + level});
    if (r.exit_code != 0) return {"", r.out + r.err};
    return {nlohmann::json::parse(ReadFile(out / "m.json")).value("containerimage.digest", ""), r.out + r.err};
  }
  TempDir ctx_, stores_;
};

TEST_F(ForcedIsolation, EveryLevelGivesTheImageNamespacesGive) {
  auto [expected, said] = Build("");
  ASSERT_NE(expected, "") << said;
  EXPECT_THAT(said, ::testing::Not(HasSubstr("note: isolation")));  // nothing degraded here
  for (const char* level : {"namespaces", "userns", "chroot"}) {
    auto [digest, output] = Build(level);
    EXPECT_EQ(digest, expected) << level << ":\n" << output;
    if (std::string(level) == "userns") EXPECT_THAT(output, HasSubstr("forced by CAIRN_ISOLATION=userns"));
    if (std::string(level) == "chroot") EXPECT_THAT(output, HasSubstr("note: isolation: chroot, because forced by"));
  }
  // What a chroot step sees: the generated /etc files and the standard device nodes.
  auto seen = Cairn(stores_ / "chroot", {"run", "--rm", "forced:chroot", "sh", "-c", "cat /hostname.txt; ls /dev"},
                    {"CAIRN_ISOLATION=chroot"});
  EXPECT_THAT(seen.out, HasSubstr("cairn\n"));
  EXPECT_THAT(seen.out, HasSubstr("null\n"));
  EXPECT_THAT(seen.out, HasSubstr("urandom\n"));
}

TEST_F(ForcedIsolation, ChrootRefusesWhatNeedsANamespaceNamingIt) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN --mount=type=cache,target=/c true\n");
  auto mount = Cairn(Root(), {"build", ctx_.path()}, {"CAIRN_ISOLATION=chroot"});
  EXPECT_EQ(mount.exit_code, 1);
  EXPECT_THAT(mount.err, HasSubstr("Dockerfile:2"));
  EXPECT_THAT(mount.err, HasSubstr("RUN --mount (and cairn run -v) needs namespaces"));
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN --network=none true\n");
  auto none = Cairn(Root(), {"build", ctx_.path()}, {"CAIRN_ISOLATION=chroot"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("--network none needs namespaces"));
  auto bad = Cairn(Root(), {"images"}, {"CAIRN_ISOLATION=jail"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("CAIRN_ISOLATION=jail is not an isolation level"));
}

}  // namespace
}  // namespace cairn::testing
