// Which stages may build at the same time, and running them on a small thread pool.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

namespace cairn::builder {

// Calls build(index) for every index of `order` (a topological order of the stages), each only
// after every one of deps[index] (the stage's plan::Stage::depends_on) that is in `order`
// returned, on at most `jobs` threads (jobs <= 1: one after the other on the calling thread, in
// `order`). Ready stages start in `order`'s order. The first exception sets `stop` (build checks
// it between steps), no further stage starts, the running ones are waited for, and that first
// exception is rethrown.
void RunStages(const std::vector<int>& order, const std::vector<std::vector<int>>& deps, int jobs,
               const std::function<void(int index)>& build, std::atomic<bool>& stop);

}  // namespace cairn::builder
