// A small persistent thread pool for every parallel loop of the addon. OpenBLAS is
// kept single-threaded and called from the pool's tasks on blocks of the problem.
#pragma once
#include <cstdint>
#include <functional>

namespace mtl {

// Number of threads used by parallel_for (the caller counts as one).
int num_threads();
// Sets the pool size (>= 1).
void set_num_threads(int n);

// Runs fn(begin, end) over [0, n) in contiguous chunks of at least `grain` items
// (up to 4 per thread, claimed dynamically) on the pool and the calling thread.
// Runs inline when one chunk suffices. Callers that need one call per part (e.g.
// per-part accumulators) pass grain 1 and n = number of parts.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace mtl
