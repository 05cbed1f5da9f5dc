// A tiny worker pool for blob transfers.
#pragma once

#include <cstddef>
#include <functional>

namespace cairn::store::registry {

// Runs fn(i) for every i in [0, count) on up to `threads` threads (the caller's thread waits).
// The first exception stops items that have not started yet and is rethrown after every thread
// finished; later exceptions are dropped.
void ParallelFor(size_t count, size_t threads, const std::function<void(size_t)>& fn);

}  // namespace cairn::store::registry
