#include "builder/stage_scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace cairn::builder {
namespace {

// Records the order of events ("start N", "end N") from several threads.
struct Log {
  std::mutex mu;
  std::vector<std::string> events;
  void Add(const std::string& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  }
  size_t IndexOf(const std::string& e) {
    for (size_t i = 0; i < events.size(); i++)
      if (events[i] == e) return i;
    return events.size();
  }
};

// Stages 0 and 1 can only both return if they run at the same time: each waits for the other.
TEST(StageSchedulerTest, IndependentStagesRunConcurrentlyAndDependentsWait) {
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  Log log;
  std::atomic<bool> stop{false};
  RunStages({0, 1, 2}, {{}, {}, {0, 1}}, 2, [&](int i) {
    log.Add("start " + std::to_string(i));
    if (i < 2) {
      std::unique_lock lock(mu);
      arrived++;
      cv.notify_all();
      ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived == 2; })) << "stage " << i << " ran alone";
    }
    log.Add("end " + std::to_string(i));
  }, stop);
  EXPECT_LT(log.IndexOf("end 0"), log.IndexOf("start 2"));
  EXPECT_LT(log.IndexOf("end 1"), log.IndexOf("start 2"));
  EXPECT_EQ(log.events.size(), 6u);
  EXPECT_FALSE(stop);
}

TEST(StageSchedulerTest, OneJobKeepsTheOrder) {
  Log log;
  std::atomic<bool> stop{false};
  RunStages({2, 0, 1}, {{}, {}, {}}, 1, [&](int i) { log.Add(std::to_string(i)); }, stop);
  EXPECT_EQ(log.events, (std::vector<std::string>{"2", "0", "1"}));
}

TEST(StageSchedulerTest, FirstFailureStopsTheRestAndIsRethrown) {
  for (int jobs : {1, 2, 4}) {
    Log log;
    std::atomic<bool> stop{false};
    try {
      // 1 depends on the failing 0; 2 is independent but, with one job, comes after the failure.
      RunStages({0, 1, 2}, {{}, {0}, {}}, jobs, [&](int i) {
        log.Add(std::to_string(i));
        if (i == 0) throw std::runtime_error("stage 0 broke");
        if (i == 2 && stop) throw std::runtime_error("stopped");  // as BuildStage does between steps
      }, stop);
      ADD_FAILURE() << "no exception with jobs=" << jobs;
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "stage 0 broke") << "jobs=" << jobs;
    }
    EXPECT_TRUE(stop);
    EXPECT_EQ(log.IndexOf("1"), log.events.size()) << "a stage whose dependency failed ran, jobs=" << jobs;
    if (jobs == 1) EXPECT_EQ(log.events, (std::vector<std::string>{"0"}));
  }
}

}  // namespace
}  // namespace cairn::builder
