// A build farm sharing one registry cache (issue 22), through the real binary and Debian's
// docker-registry: workers exporting to one ref at the same moment keep every one of their
// records, a bound keeps the ref small, several --cache-from refs are looked up in order, and
// the cache types cairn lacks are named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "tests/store/registry/test_registry.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

namespace treg = cairn::store::registry::testing;

constexpr int kWorkers = 4;

// Worker i's Dockerfile: two RUN steps of its own, the first writing random bytes, so a reader
// holding the same /stamp reused the writer's layer instead of running the step.
std::string Dockerfile(int i) {
  return "FROM busybox\n"
         "RUN head -c 16 /dev/urandom | od -x > /stamp" + std::to_string(i) + "\n"
         "RUN echo worker " + std::to_string(i) + " > /worker\n";
}
constexpr int kStepsEach = 2;

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
  return n;
}

class CacheFarmTest : public ::testing::Test {
 protected:
  std::string Ctx(int i) {
    std::string dir = tmp_ / ("ctx" + std::to_string(i));
    if (!PathExists(dir + "/Dockerfile")) WriteTextFile(dir + "/Dockerfile", Dockerfile(i));
    return dir;
  }
  std::string Store(const std::string& name) { return tmp_ / ("store-" + name); }
  std::vector<std::string> Env() const { return {"DOCKER_CONFIG=" + (tmp_ / "docker"), "CAIRN_REGISTRIES_CONFIG="}; }
  CommandResult Build(const std::string& store, int i, std::vector<std::string> extra) {
    if (!PathExists(Store(store))) ImportBusybox(Store(store));
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", "app" + std::to_string(i), "--iidfile",
                                     tmp_ / (store + "-" + std::to_string(i) + ".iid")};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(Ctx(i));
    return Cairn(Store(store), args, Env());
  }
  std::string Iid(const std::string& store, int i) { return ReadFile(tmp_ / (store + "-" + std::to_string(i) + ".iid")); }
  std::string Cat(const std::string& store, int i, const std::string& path) {
    auto r = Cairn(Store(store), {"run", "--rm", "app" + std::to_string(i), "cat", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // "importing cache X: N records" of a build's output: how many records a reader sees.
  static int ImportedRecords(const std::string& err) {
    size_t at = err.find("importing cache ");
    if (at == std::string::npos) return -1;
    at = err.find(": ", at) + 2;
    return std::stoi(err.substr(at));
  }

  TempDir tmp_;
};

TEST_F(CacheFarmTest, FourWorkersExportingAtOnceLoseNoStep) {
  treg::TestRegistry registry;
  std::string to = "type=registry,ref=" + registry.host() + "/cache/app,mode=max";
  for (int i = 0; i < kWorkers; i++) ImportBusybox(Store("w" + std::to_string(i)));
  std::vector<CommandResult> writers(kWorkers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWorkers; i++)
    threads.emplace_back([&, i] { writers[i] = Build("w" + std::to_string(i), i, {"--cache-to", to}); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kWorkers; i++) ASSERT_EQ(writers[i].exit_code, 0) << writers[i].err << registry.log();

  for (int i = 0; i < kWorkers; i++) {
    auto r = Build("reader", i, {"--cache-from", registry.host() + "/cache/app"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(ImportedRecords(r.err), kWorkers * kStepsEach) << r.err;
    EXPECT_EQ(Count(r.err, " CACHED\n"), kStepsEach) << "worker " << i << "'s steps were lost:\n" << r.err;
    EXPECT_EQ(Iid("reader", i), Iid("w" + std::to_string(i), i));
    EXPECT_EQ(Cat("reader", i, "/stamp" + std::to_string(i)), Cat("w" + std::to_string(i), i, "/stamp" + std::to_string(i)));
  }
}

TEST_F(CacheFarmTest, MaxRecordsKeepsTheRecordsUsedLast) {
  treg::TestRegistry registry;
  std::string ref = registry.host() + "/cache/app:farm";
  for (int i = 0; i < 3; i++) {  // three exports of two records each, one after the other
    auto w = Build("w", i, {"--cache-to", "type=registry,ref=" + ref + ",mode=max,max-records=4"});
    ASSERT_EQ(w.exit_code, 0) << w.err << registry.log();
    if (i == 2) EXPECT_NE(w.err.find("the cache holds 4 records (2 least recently used dropped)"), std::string::npos) << w.err;
    if (i < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // distinct export times
  }
  // The ref holds at most 4 records: the last two exports'; the first export's were dropped.
  auto last = Build("reader", 2, {"--cache-from", ref});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_EQ(ImportedRecords(last.err), 4) << last.err;
  EXPECT_EQ(Count(last.err, " CACHED\n"), kStepsEach) << last.err;
  auto second = Build("reader", 1, {"--cache-from", ref});
  EXPECT_EQ(Count(second.err, " CACHED\n"), kStepsEach) << second.err;
  auto first = Build("reader", 0, {"--cache-from", ref});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Count(first.err, " CACHED\n"), 0) << "the least recently used records were kept:\n" << first.err;
}

TEST_F(CacheFarmTest, MaxSizeBoundsTheLayerBytesTheRefNames) {
  treg::TestRegistry registry;
  std::string to = "type=registry,ref=" + registry.host() + "/cache/app:size,mode=max,max-size=";
  auto roomy = Build("w", 0, {"--cache-to", to + "1G"});
  ASSERT_EQ(roomy.exit_code, 0) << roomy.err << registry.log();
  EXPECT_NE(roomy.err.find("the cache holds 2 records\n"), std::string::npos) << roomy.err;
  // No layer fits in one byte: the newest record's does not, so nothing older is kept either.
  auto tiny = Build("w", 1, {"--cache-to", to + "1"});
  ASSERT_EQ(tiny.exit_code, 0) << tiny.err;
  EXPECT_NE(tiny.err.find("the cache holds 0 records (4 least recently used dropped)"), std::string::npos) << tiny.err;
}

TEST_F(CacheFarmTest, SeveralCacheFromRefsAreLookedUpInOrder) {
  treg::TestRegistry registry;
  std::string a = registry.host() + "/cache/a:c", b = registry.host() + "/cache/b:c";
  ASSERT_EQ(Build("wa", 0, {"--cache-to", "type=registry,ref=" + a}).exit_code, 0);
  ASSERT_EQ(Build("wb", 0, {"--cache-to", "type=registry,ref=" + b}).exit_code, 0);
  ASSERT_EQ(Build("wb", 1, {"--cache-to", "type=registry,ref=" + b}).exit_code, 0);
  // Both refs hold worker 0's steps (built twice, so with other /stamp0 bytes): the first wins.
  auto r = Build("reader", 0, {"--cache-from", b, "--cache-from", a});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.err, " CACHED\n"), kStepsEach) << r.err;
  EXPECT_EQ(Iid("reader", 0), Iid("wb", 0));
  // And a ref that lacks a step does not hide a later one that has it.
  auto r1 = Build("reader", 1, {"--cache-from", a, "--cache-from", b});
  EXPECT_EQ(Count(r1.err, " CACHED\n"), kStepsEach) << r1.err;
  EXPECT_EQ(Iid("reader", 1), Iid("wb", 1));
}

TEST_F(CacheFarmTest, CacheTypesCairnLacksAreNamedAndIgnoreErrorOnlyWarns) {
  for (std::string type : {"gha", "s3", "azblob"}) {
    auto r = Build("a", 0, {"--cache-to", "type=" + type});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("cairn has no \"" + type + "\" cache"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("RUN"), std::string::npos) << "the build started: " << r.err;
  }
  auto unknown = Build("a", 0, {"--cache-to", "type=local,dest=" + (tmp_ / "c") + ",max-age=1h"});
  EXPECT_NE(unknown.err.find("unknown option \"max-age\""), std::string::npos) << unknown.err;
  auto bad_size = Build("a", 0, {"--cache-to", "type=registry,ref=127.0.0.1:1/c/a,max-size=lots"});
  EXPECT_NE(bad_size.err.find("max-size: invalid size \"lots\""), std::string::npos) << bad_size.err;
  auto local_bound = Build("a", 0, {"--cache-to", "type=local,dest=" + (tmp_ / "c") + ",max-records=3"});
  EXPECT_NE(local_bound.err.find("max-records works with type=registry only"), std::string::npos) << local_bound.err;

  // Nothing listens on port 1: the export fails; with ignore-error=true the build still succeeds.
  std::string dead = "type=registry,ref=127.0.0.1:1/cache/app";
  auto fails = Build("a", 0, {"--cache-to", dead});
  EXPECT_NE(fails.exit_code, 0);
  EXPECT_NE(fails.err.find("--cache-to " + dead), std::string::npos) << fails.err;
  auto warns = Build("a", 0, {"--cache-to", dead + ",ignore-error=true"});
  EXPECT_EQ(warns.exit_code, 0) << warns.err;
  EXPECT_NE(warns.err.find("warning: --cache-to " + dead + ",ignore-error=true"), std::string::npos) << warns.err;
}

TEST_F(CacheFarmTest, ExportsToOneDirectoryAddUpTheirRecords) {
  std::string dir = tmp_ / "shared";
  std::vector<CommandResult> writers(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; i++)
    threads.emplace_back([&, i] {
      writers[i] = Build("w" + std::to_string(i), i, {"--cache-to", "type=local,dest=" + dir + ",mode=max"});
    });
  for (auto& t : threads) t.join();
  for (auto& w : writers) ASSERT_EQ(w.exit_code, 0) << w.err;
  for (int i = 0; i < 2; i++) {
    auto r = Build("reader", i, {"--cache-from", "type=local,src=" + dir});
    EXPECT_EQ(ImportedRecords(r.err), 2 * kStepsEach) << r.err;
    EXPECT_EQ(Count(r.err, " CACHED\n"), kStepsEach) << r.err;
    EXPECT_EQ(Iid("reader", i), Iid("w" + std::to_string(i), i));
  }
}

}  // namespace
}  // namespace cairn::testing
