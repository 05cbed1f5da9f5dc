// A build farm sharing one registry cache (issue 22), through the real binary and Debian's
// docker-registry: workers exporting to one ref at the same moment keep every one of their
// records, a bound keeps the ref (or a directory) small, several --cache-from refs are looked up
// in order, the cache types cairn lacks are named, cache mounts travel (never into an image), an
// inline cache travels in the image's config, and a reader never fails while writers export.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
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
  // Builds `dockerfile` (its context named `name`) as image `name` in store `store`.
  CommandResult BuildFile(const std::string& store, const std::string& name, const std::string& dockerfile,
                          std::vector<std::string> extra) {
    if (!PathExists(Store(store))) ImportBusybox(Store(store));
    std::string dir = tmp_ / ("ctx-" + name);
    WriteTextFile(dir + "/Dockerfile", dockerfile);
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", name, "--iidfile",
                                     tmp_ / (store + "-" + name + ".iid")};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(dir);
    return Cairn(Store(store), args, Env());
  }
  std::string IidOf(const std::string& store, const std::string& name) {
    return ReadFile(tmp_ / (store + "-" + name + ".iid"));
  }
  CommandResult RunIn(const std::string& store, const std::string& image, std::vector<std::string> argv) {
    std::vector<std::string> args = {"run", "--rm", image};
    args.insert(args.end(), argv.begin(), argv.end());
    return Cairn(Store(store), args);
  }
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
  auto bad_mounts = Build("a", 0, {"--cache-to", "type=local,dest=" + (tmp_ / "c") + ",cache-mounts=yes"});
  EXPECT_NE(bad_mounts.err.find("cache-mounts=yes is true or false"), std::string::npos) << bad_mounts.err;

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

TEST_F(CacheFarmTest, AnInlineCacheTravelsInThePushedImagesConfig) {
  treg::TestRegistry registry;
  std::string image = registry.host() + "/app/inline:v1";
  auto plain = Build("w", 0, {});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::string plain_iid = Iid("w", 0);
  auto push = [&](const std::string& store, std::vector<std::string> how) {
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", image, "--push", "--iidfile",
                                     tmp_ / (store + "-inline.iid")};
    args.insert(args.end(), how.begin(), how.end());
    args.push_back(Ctx(0));
    auto r = Cairn(Store(store), args, Env());
    EXPECT_EQ(r.exit_code, 0) << r.err << registry.log();
    return ReadFile(tmp_ / (store + "-inline.iid"));
  };
  // The records make another config (another image ID) only when inline is asked for.
  std::string inline_iid = push("w", {"--cache-to", "type=inline"});
  EXPECT_NE(inline_iid, plain_iid);
  EXPECT_EQ(push("w", {"--build-arg", "BUILDKIT_INLINE_CACHE=1"}), inline_iid) << "the build arg means type=inline";
  auto again = Build("w", 0, {});
  EXPECT_EQ(Iid("w", 0), plain_iid) << again.err;

  // A fresh store reads the records from the image: every step hits, the same image comes out.
  auto r = Build("reader", 0, {"--cache-from", image, "--cache-to", "type=inline"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ImportedRecords(r.err), kStepsEach) << r.err;
  EXPECT_EQ(Count(r.err, " CACHED\n"), kStepsEach) << r.err;
  EXPECT_EQ(Iid("reader", 0), inline_iid);
  auto r2 = Build("reader2", 0, {"--cache-from", "type=registry,ref=" + image});
  EXPECT_EQ(Count(r2.err, " CACHED\n"), kStepsEach) << r2.err;
  EXPECT_EQ(Iid("reader2", 0), plain_iid);
  EXPECT_EQ(Cat("reader2", 0, "/stamp0"), Cat("w", 0, "/stamp0"));

  // An image without the records is named as such; the build goes on without it.
  std::string bare = registry.host() + "/app/bare:v1";
  auto p = Cairn(Store("w"), {"build", "-t", bare, "--push", Ctx(0)}, Env());
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto none = Build("reader3", 0, {"--cache-from", bare});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.err.find("an image without an inline cache"), std::string::npos) << none.err;
  auto max = Build("w", 0, {"--cache-to", "type=inline,mode=max"});
  EXPECT_NE(max.err.find("an inline cache holds the image's own steps"), std::string::npos) << max.err;
}

// The writer's RUN leaves random bytes in its cache mount (and a copy in the image, to compare).
constexpr const char* kMountWriter =
    "FROM busybox\n"
    "RUN --mount=type=cache,target=/var/cache/tool,id=tool sh -c "
    "'head -c 16 /dev/urandom | od -x > /var/cache/tool/seen && cp /var/cache/tool/seen /stamp'\n";
// A reader's RUN: another command (never a cache hit of the writer's), which copies what the
// cache mount holds into its image.
std::string MountReader(const std::string& sharing, const std::string& out) {
  return "FROM busybox\n"
         "RUN --mount=type=cache,target=/c,id=tool,sharing=" + sharing + " cp /c/seen /" + out + "\n";
}

TEST_F(CacheFarmTest, CacheMountsTravelThroughARegistryAndTheNewestSnapshotWins) {
  treg::TestRegistry registry;
  std::string ref = registry.host() + "/cache/mounts:ci";
  std::string to = "type=registry,ref=" + ref + ",mode=max,cache-mounts=true";
  auto w1 = BuildFile("w1", "writer", kMountWriter, {"--cache-to", to});
  ASSERT_EQ(w1.exit_code, 0) << w1.err << registry.log();
  EXPECT_NE(w1.err.find("cache mount id=tool (linux/"), std::string::npos) << w1.err;
  EXPECT_NE(w1.err.find("1 records, 1 cache mounts, "), std::string::npos) << w1.err;
  // skopeo sees the snapshot as a blob of the cache manifest (so the registry keeps it): the
  // RUN's layer and the snapshot.
  auto raw = RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(nlohmann::json::parse(raw.out)["layers"].size(), 2u) << raw.out;
  // The cache mount's files are the cache's, never the image's.
  auto in_image = RunIn("w1", "writer", {"ls", "/var/cache/tool/seen"});
  EXPECT_NE(in_image.exit_code, 0) << "the cache mount reached the image: " << in_image.out;
  // Without cache-mounts=true the image is the same (the snapshot is no part of it).
  auto plain = BuildFile("w1", "writer", kMountWriter, {});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a newer export time
  auto w2 = BuildFile("w2", "writer", kMountWriter, {"--cache-to", to});
  ASSERT_EQ(w2.exit_code, 0) << w2.err;
  std::string newest = RunIn("w2", "writer", {"cat", "/stamp"}).out;
  ASSERT_NE(newest, RunIn("w1", "writer", {"cat", "/stamp"}).out);

  // A fresh store: the reader's RUN (a cache miss: it runs) finds the newest writer's file.
  for (std::string sharing : {"locked", "private", "shared"}) {
    std::string store = "reader-" + sharing;
    auto r = BuildFile(store, "reader", MountReader(sharing, "got"), {"--cache-from", ref});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("1 cache mounts"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cache mount id=tool (linux/"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(") seeded from " + ref), std::string::npos) << r.err;
    EXPECT_EQ(Count(r.err, " CACHED\n"), 0) << r.err;
    EXPECT_EQ(RunIn(store, "reader", {"cat", "/got"}).out, newest) << sharing;
  }
}

TEST_F(CacheFarmTest, CacheMountsTravelThroughADirectoryAndNeverOverwriteTheStoresOwn) {
  std::string to = "type=local,dest=" + (tmp_ / "shared") + ",cache-mounts=true";
  std::string from = "type=local,src=" + (tmp_ / "shared");
  auto w1 = BuildFile("w1", "writer", kMountWriter, {"--cache-to", to});
  ASSERT_EQ(w1.exit_code, 0) << w1.err;
  std::string first = RunIn("w1", "writer", {"cat", "/stamp"}).out;
  auto r = BuildFile("reader", "reader", MountReader("private", "got"), {"--cache-from", from});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.err, " CACHED\n"), 0) << r.err;
  EXPECT_EQ(RunIn("reader", "reader", {"cat", "/got"}).out, first);

  // A later export brings other files; the reader's store has the mount already and keeps its own.
  auto w2 = BuildFile("w2", "writer", kMountWriter, {"--cache-to", to});
  ASSERT_EQ(w2.exit_code, 0) << w2.err;
  auto again = BuildFile("reader", "reader2", MountReader("shared", "got2"), {"--cache-from", from});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("seeded from"), std::string::npos) << again.err;
  EXPECT_EQ(RunIn("reader", "reader2", {"cat", "/got2"}).out, first);
  // A fresh store gets the newest snapshot (the last export's).
  auto fresh = BuildFile("fresh", "reader", MountReader("shared", "got"), {"--cache-from", from});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(RunIn("fresh", "reader", {"cat", "/got"}).out, RunIn("w2", "writer", {"cat", "/stamp"}).out);
}

size_t BlobCount(const std::string& dir) {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir + "/blobs/sha256")) n += e.is_regular_file();
  return n;
}

TEST_F(CacheFarmTest, MaxRecordsKeepsTheRecordsUsedLastInADirectory) {
  std::string dir = tmp_ / "bounded";
  size_t blobs = 0;
  for (int i = 0; i < 3; i++) {  // three exports of two records each, one after the other
    auto w = Build("w", i, {"--cache-to", "type=local,dest=" + dir + ",mode=max,max-records=4"});
    ASSERT_EQ(w.exit_code, 0) << w.err;
    if (i == 2) EXPECT_NE(w.err.find("the cache holds 4 records (2 least recently used dropped)"), std::string::npos) << w.err;
    EXPECT_GE(BlobCount(dir), blobs) << "a bounded export deleted blobs";
    blobs = BlobCount(dir);
    if (i < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // distinct export times
  }
  std::string from = "type=local,src=" + dir;
  auto last = Build("reader", 2, {"--cache-from", from});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_EQ(ImportedRecords(last.err), 4) << last.err;
  EXPECT_EQ(Count(last.err, " CACHED\n"), kStepsEach) << last.err;
  EXPECT_EQ(Count(Build("reader", 1, {"--cache-from", from}).err, " CACHED\n"), kStepsEach);
  auto first = Build("reader", 0, {"--cache-from", from});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Count(first.err, " CACHED\n"), 0) << "the least recently used records were kept:\n" << first.err;
  // max-size too: no layer fits in one byte.
  auto tiny = Build("w", 0, {"--cache-to", "type=local,dest=" + dir + ",mode=max,max-size=1"});
  ASSERT_EQ(tiny.exit_code, 0) << tiny.err;
  EXPECT_NE(tiny.err.find("the cache holds 0 records"), std::string::npos) << tiny.err;
}

// Deterministic steps (no random bytes), so a cold build says which image is right.
std::string Steady(int i) {
  return "FROM busybox\nRUN echo steady " + std::to_string(i) + " > /a\nRUN echo more " + std::to_string(i) + " > /b\n";
}

TEST_F(CacheFarmTest, AReaderWhileFourWritersExportNeverFailsNorBuildsAnotherImage) {
  treg::TestRegistry registry;
  std::string ref = registry.host() + "/cache/busy:ci";
  auto cold = BuildFile("cold", "steady", Steady(0), {});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  std::string want = IidOf("cold", "steady");
  std::string to = "type=registry,ref=" + ref + ",mode=max,max-records=6";
  ASSERT_EQ(BuildFile("cold", "steady", Steady(0), {"--cache-to", to}).exit_code, 0);  // the reader has hits
  for (int i = 0; i < kWorkers; i++) ImportBusybox(Store("w" + std::to_string(i)));
  std::atomic<int> running{kWorkers};
  std::vector<std::string> failures(kWorkers);
  std::vector<std::thread> writers;
  // Each writer exports four times; the bound makes exports drop and republish manifests while
  // the reader lists and reads them.
  for (int i = 0; i < kWorkers; i++)
    writers.emplace_back([&, i] {
      for (int round = 0; round < 4; round++) {
        auto w = BuildFile("w" + std::to_string(i), "steady" + std::to_string(i), Steady(i), {"--no-cache", "--cache-to", to});
        if (w.exit_code != 0) failures[i] = w.err;
      }
      running--;
    });
  int reads = 0, hits = 0, imported = -1;
  while (running > 0 || reads < 2) {
    std::string store = "reader" + std::to_string(reads);
    auto r = BuildFile(store, "steady", Steady(0), {"--cache-from", ref});
    EXPECT_EQ(r.exit_code, 0) << r.err << registry.log();  // no ASSERT: the writers must be joined
    if (r.exit_code == 0) EXPECT_EQ(IidOf(store, "steady"), want) << r.err;
    hits += Count(r.err, " CACHED\n");
    imported = std::max(imported, ImportedRecords(r.err));
    reads++;
    RemoveAll(Store(store));
  }
  for (auto& t : writers) t.join();
  for (auto& f : failures) EXPECT_EQ(f, "");
  // (Which steps hit depends on what the bound dropped at that moment; that records were read
  // does not.)
  EXPECT_GT(imported, 0) << "the reader never read the cache";
  std::cerr << reads << " reads while the writers exported, " << hits << " steps cached\n";
}

}  // namespace
}  // namespace cairn::testing
