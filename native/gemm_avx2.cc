// The own GEMM for CPUs with AVX2 and FMA (8 floats per vector, 16 vector
// registers): a 6×16 register tile, 12 accumulators. Built with -mavx2 -mfma
// (binding.gyp); gemm_dispatch.cc calls it only where the CPU reports both.
#include <immintrin.h>

#include "gemm_own.h"

namespace {
struct Isa {
  using Vec = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kMr = 6;
  static constexpr int kNr = 16;
  static constexpr int kMcPanels = 24;
  [[gnu::always_inline]] static Vec zero() { return _mm256_setzero_ps(); }
  [[gnu::always_inline]] static Vec load(const float* p) { return _mm256_loadu_ps(p); }
  [[gnu::always_inline]] static void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
  [[gnu::always_inline]] static Vec broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  [[gnu::always_inline]] static Vec set1(float v) { return _mm256_set1_ps(v); }
  [[gnu::always_inline]] static Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
};
}  // namespace

#include "gemm_kernel.h"

namespace mtl {
const GemmKernel* gemm_kernel_avx2() {
  static const GemmKernel kernel{"avx2", kMr, kNr, kKc * ((kNc + kNr - 1) / kNr * kNr) + kKc * kMc, gemm_blocked};
  return &kernel;
}
}  // namespace mtl
