// The own GEMM for CPUs with AVX-512F (16 floats per vector, 32 vector registers):
// a 12×32 register tile, 24 accumulators; and the direct convolutions (conv_kernel.h).
// Built with -mavx512f -mfma (binding.gyp); gemm_dispatch.cc calls it only where the
// CPU reports AVX-512F.
#include <immintrin.h>

#include "gemm_own.h"

namespace {
struct Isa {
  using Vec = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kMr = 12;
  static constexpr int kNr = 32;
  static constexpr int kMcPanels = 12;
  [[gnu::always_inline]] static Vec zero() { return _mm512_setzero_ps(); }
  [[gnu::always_inline]] static Vec load(const float* p) { return _mm512_loadu_ps(p); }
  [[gnu::always_inline]] static void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
  [[gnu::always_inline]] static Vec broadcast(const float* p) { return _mm512_set1_ps(*p); }
  [[gnu::always_inline]] static Vec set1(float v) { return _mm512_set1_ps(v); }
  [[gnu::always_inline]] static Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  [[gnu::always_inline]] static Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
  // The first n (1..16) lanes; the others read as 0 / left unwritten.
  [[gnu::always_inline]] static Vec load_partial(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p);
  }
  [[gnu::always_inline]] static void store_partial(float* p, Vec v, int n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
  }
  [[gnu::always_inline]] static float sum(Vec v) { return _mm512_reduce_add_ps(v); }
  // Narrow products (gemm_kernel.h): accumulators for N columns × rows.
  static constexpr int kNarrowAccumulators = 16;
  // Direct convolution (conv_kernel.h): up to 2 vectors of channels, 24 accumulators.
  static constexpr int kConvMaxVectors = 2;
  static constexpr int kConvAccumulators = 24;
};
}  // namespace

#include "gemm_kernel.h"
#include "conv_kernel.h"

namespace mtl {
const GemmKernel* gemm_kernel_avx512() {
  static const GemmKernel kernel{"avx512", kMr, kNr, kKc * ((kNc + kNr - 1) / kNr * kNr) + kKc * kMc, gemm_blocked,
                                 kConvLanes, kConvLanes * kConvMaxVectors, conv_forward_direct, conv_filter_direct,
                                 kNarrowMax, gemm_narrow};
  return &kernel;
}
}  // namespace mtl
