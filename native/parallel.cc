// Thread pool behind parallel_for: between jobs workers spin for a short while (a
// training step runs many small parallel loops a few microseconds apart, and waking a
// sleeping thread costs more than most of them), then sleep on a condition variable;
// the caller claims chunks too and returns once every chunk is done and no worker
// still holds the job (spinning briefly on that too before it sleeps).
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#ifdef MTL_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace mtl {
namespace {

// How long an idle worker, or a caller waiting for the last chunks, spins before it
// sleeps (MTL_NATIVE_SPIN_US; 0: sleep at once).
int64_t spin_microseconds() {
  static const int64_t us = [] {
    const char* env = std::getenv("MTL_NATIVE_SPIN_US");
    return env != nullptr ? std::max<int64_t>(0, std::atoll(env)) : int64_t(50);
  }();
  return us;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins until `ready()` or the spin time is up; true when ready.
template <typename F>
bool spin_until(F ready) {
  const int64_t us = spin_microseconds();
  if (us == 0) return ready();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
  for (int i = 0;; ++i) {
    if (ready()) return true;
    cpu_relax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return ready();
  }
}

class Pool {
 public:
  explicit Pool(int threads) : size_(threads < 1 ? 1 : threads) {
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
      stop_flag_.store(true);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return size_; }

  void run(int64_t chunks, const std::function<void(int64_t)>* job) {
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = job;
      chunks_ = chunks;
      next_.store(0);
      done_.store(0);
      ++generation_;
    }
    wake_.notify_all();
    work(job, chunks);
    spin_until([&] { return done_.load() == chunks && active_.load() == 0; });
    std::unique_lock<std::mutex> lock(m_);
    finished_.wait(lock, [&] { return done_.load() == chunks && active_.load() == 0; });
    job_ = nullptr;
  }

 private:
  void work(const std::function<void(int64_t)>* job, int64_t chunks) {
    for (int64_t i; (i = next_.fetch_add(1)) < chunks;) {
      (*job)(i);
      done_.fetch_add(1);
    }
  }
  void loop() {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t)>* job;
      int64_t chunks;
      spin_until([&] { return stop_flag_.load(std::memory_order_relaxed) || generation_.load() != seen; });
      {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
        if (stop_) return;
        seen = generation_;
        if (job_ == nullptr) continue;  // woke after that job already finished
        job = job_;
        chunks = chunks_;
        ++active_;
      }
      work(job, chunks);
      {
        std::lock_guard<std::mutex> lock(m_);
        --active_;
      }
      finished_.notify_all();
    }
  }

  int size_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable wake_, finished_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t chunks_ = 0;
  std::atomic<int> active_{0};
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};
  std::atomic<int64_t> next_{0}, done_{0};
};

int default_threads() {
  if (const char* env = std::getenv("MTL_NATIVE_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// OpenBLAS runs single-threaded inside our pool's tasks: one set of threads, no
// OpenBLAS workers spinning while the pool runs im2col or element-wise loops.
std::unique_ptr<Pool>& pool() {
  static std::unique_ptr<Pool> p = [] {
#ifdef MTL_HAVE_OPENBLAS
    openblas_set_num_threads(1);
#endif
    return std::unique_ptr<Pool>(new Pool(default_threads()));
  }();
  return p;
}

// Set while a job runs on the pool. A parallel_for issued meanwhile (from inside a
// task, or from another JS thread using the addon) runs inline instead of re-entering.
std::atomic<bool> pool_busy{false};

}  // namespace

int num_threads() { return pool()->size(); }

void set_num_threads(int n) {
  if (n < 1) n = 1;
  if (n == pool()->size()) return;
  while (pool_busy.exchange(true)) std::this_thread::yield();  // not while a job runs
  pool().reset(new Pool(n));
  pool_busy.store(false);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (n <= grain || pool_busy.exchange(true)) {
    fn(0, n);
    return;
  }
  struct Release {
    ~Release() { pool_busy.store(false); }
  } release;
  Pool& p = *pool();
  if (p.size() == 1) {
    fn(0, n);
    return;
  }
  // Several chunks per thread, claimed dynamically: when a worker is late (another
  // process holds its core), the caller simply takes more chunks instead of waiting.
  const int64_t chunks = std::min<int64_t>(int64_t(p.size()) * 4, (n + grain - 1) / grain);
  const int64_t step = (n + chunks - 1) / chunks;
  const std::function<void(int64_t)> job = [&](int64_t i) {
    int64_t begin = i * step, end = std::min(n, begin + step);
    if (begin < end) fn(begin, end);
  };
  p.run((n + step - 1) / step, &job);
}

}  // namespace mtl
