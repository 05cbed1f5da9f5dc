#include "builder/stage_scheduler.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include "base/scope_guard.h"

namespace cairn::builder {

namespace {

// Shared by the workers; every field is guarded by mu.
struct Pool {
  const std::vector<int>& order;
  const std::vector<std::vector<int>>& deps;
  std::set<int> in_order;
  std::set<int> started, done;
  std::exception_ptr first_error;
  std::mutex mu;
  std::condition_variable changed;

  bool Ready(int index) const {
    if (started.count(index)) return false;
    for (int d : deps.at(static_cast<size_t>(index)))
      if (in_order.count(d) && !done.count(d)) return false;
    return true;
  }

  // The next stage to build, or -1 when there is nothing left to start (or a stage failed).
  int Take() {
    std::unique_lock lock(mu);
    while (true) {
      if (first_error || started.size() == order.size()) return -1;
      for (int index : order) {
        if (Ready(index)) {
          started.insert(index);
          return index;
        }
      }
      changed.wait(lock);
    }
  }

  void Finish(int index, std::exception_ptr error, std::atomic<bool>& stop) {
    std::lock_guard lock(mu);
    if (error && !first_error) {
      first_error = error;
      stop = true;
    }
    done.insert(index);
    changed.notify_all();
  }
};

}  // namespace

void RunStages(const std::vector<int>& order, const std::vector<std::vector<int>>& deps, int jobs,
               const std::function<void(int index)>& build, std::atomic<bool>& stop) {
  if (jobs <= 1 || order.size() <= 1) {
    ScopeFail stop_the_rest([&] { stop = true; });
    for (int index : order) build(index);
    return;
  }
  Pool pool{order, deps, std::set<int>(order.begin(), order.end()), {}, {}, {}, {}, {}};
  auto worker = [&] {
    for (int index; (index = pool.Take()) >= 0;) {
      std::exception_ptr error;
      try {
        build(index);
      } catch (...) {
        error = std::current_exception();
      }
      pool.Finish(index, error, stop);
    }
  };
  std::vector<std::thread> threads;
  size_t count = std::min(static_cast<size_t>(jobs), order.size());
  for (size_t i = 0; i < count; i++) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (pool.first_error) std::rethrow_exception(pool.first_error);
}

}  // namespace cairn::builder
