// The own GEMM for CPUs with AVX2 and FMA (8 floats per vector, 16 vector
// registers): a 6×16 register tile, 12 accumulators; and the direct convolutions
// (conv_kernel.h). Built with -mavx2 -mfma
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
  [[gnu::always_inline]] static Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
  // The first n (1..8) lanes; the others read as 0 / left unwritten.
  [[gnu::always_inline]] static __m256i lane_mask(int n) {
    alignas(32) static const int32_t kBits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kBits + 8 - n));
  }
  [[gnu::always_inline]] static Vec load_partial(const float* p, int n) { return _mm256_maskload_ps(p, lane_mask(n)); }
  [[gnu::always_inline]] static void store_partial(float* p, Vec v, int n) { _mm256_maskstore_ps(p, lane_mask(n), v); }
  [[gnu::always_inline]] static float sum(Vec v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  // Narrow products (gemm_kernel.h): accumulators for N columns × rows.
  static constexpr int kNarrowAccumulators = 9;
  // Direct convolution (conv_kernel.h): up to 4 vectors of channels, 12 accumulators.
  static constexpr int kConvMaxVectors = 4;
  static constexpr int kConvAccumulators = 12;
};
}  // namespace

#include "gemm_kernel.h"
#include "conv_kernel.h"

namespace mtl {
const GemmKernel* gemm_kernel_avx2() {
  static const GemmKernel kernel{"avx2", kMr, kNr, kKc * ((kNc + kNr - 1) / kNr * kNr) + kKc * kMc, gemm_blocked,
                                 kConvLanes, kConvLanes * kConvMaxVectors, conv_forward_direct, conv_filter_direct,
                                 kNarrowMax, gemm_narrow};
  return &kernel;
}
}  // namespace mtl
