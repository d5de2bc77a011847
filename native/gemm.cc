// Matrix products through gemm_serial (single-threaded per call, blocks spread over
// our pool), with tfjs's fused bias and activation applied in place.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels.h"
#include "parallel.h"

namespace mtl {

namespace {
constexpr int64_t kElementGrain = 1 << 16;  // values per thread below which loops stay serial
constexpr int64_t kGemmGrain = 1 << 17;     // multiply-adds per thread below which GEMMs stay serial

inline float activate(float v, int32_t act, float alpha) {
  switch (act) {
    case kRelu: return v < 0.f ? 0.f : v;
    case kRelu6: return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
    case kLeakyRelu: return v < 0.f ? alpha * v : v;
    case kSigmoid: return 1.f / (1.f + std::exp(-v));
    default: return v;
  }
}

constexpr int64_t kSmallProduct = 4096;  // multiply-adds below which a product skips the GEMM's packing

// C = op(A)·op(B) + beta·C (beta 0 or 1) by plain loops, for products so small (e.g.
// the 1×8·8×64 gate mixtures of MMoE, a thousand per batch) that packing costs more
// than it saves.
void small_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                int64_t ldb, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.f) {
      for (int64_t j = 0; j < n; ++j) row[j] = 0.f;
    }
    if (tb) {  // B is [n, k]: one dot product per output
      for (int64_t j = 0; j < n; ++j) {
        const float* bj = b + j * ldb;
        float s = 0.f;
        for (int64_t p = 0; p < k; ++p) s += (ta ? a[p * lda + i] : a[i * lda + p]) * bj[p];
        row[j] += s;
      }
    } else {  // rows of B scaled and added: the inner loop runs along contiguous memory
      for (int64_t p = 0; p < k; ++p) {
        const float av = ta ? a[p * lda + i] : a[i * lda + p];
        const float* bp = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) row[j] += av * bp[j];
      }
    }
  }
}

inline void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_serial(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}
}  // namespace

void apply_activation(float* out, int64_t n, int32_t act, float alpha) {
  if (act == kLinear) return;
  // One loop per activation, captures by value, so each vectorizes.
  auto run = [out, n](auto f) {
    parallel_for(n, kElementGrain, [out, f](int64_t begin, int64_t end) {
      const auto g = f;  // a local copy: its captures cannot alias out
      for (int64_t i = begin; i < end; ++i) out[i] = g(out[i]);
    });
  };
  switch (act) {
    case kRelu: return run([](float v) { return activate(v, kRelu, 0.f); });
    case kRelu6: return run([](float v) { return activate(v, kRelu6, 0.f); });
    case kLeakyRelu: return run([alpha](float v) { return activate(v, kLeakyRelu, alpha); });
    case kSigmoid: return run([](float v) { return activate(v, kSigmoid, 0.f); });
  }
}

void fill_bias(float* out, int64_t rows, int64_t cols, const float* bias, int32_t mode) {
  if (mode == kBiasScalar) {
    std::fill(out, out + rows * cols, bias[0]);
  } else if (mode == kBiasPerColumn) {
    for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * cols, bias, cols * sizeof(float));
  }
}

void sgemm_parallel(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                    const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const int64_t work = m * n * std::max<int64_t>(k, 1);
  const int64_t threads = num_threads();
  const int64_t parts = threads == 1 ? 1 : std::min<int64_t>(2 * threads, work / kGemmGrain);
  if (parts <= 1) return sgemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
  if (m >= n) {  // blocks of rows of C (rows of op(A)), multiples of 8
    const int64_t step = (m / parts + 7) / 8 * 8;
    parallel_for(m, step, [&](int64_t i0, int64_t i1) {
      sgemm(ta, tb, i1 - i0, n, k, ta ? a + i0 : a + i0 * lda, lda, b, ldb, beta, c + i0 * ldc, ldc);
    });
  } else {  // blocks of columns of C (columns of op(B))
    const int64_t step = (n / parts + 7) / 8 * 8;
    parallel_for(n, step, [&](int64_t j0, int64_t j1) {
      sgemm(ta, tb, m, j1 - j0, k, a, lda, tb ? b + j0 * ldb : b + j0, ldb, beta, c + j0, ldc);
    });
  }
}

void batch_matmul(const float* a, const float* b, float* c, int64_t batch_a, int64_t batch_b,
                  int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b,
                  const float* bias, int32_t bias_mode, int32_t act, float alpha) {
  const int64_t batch = std::max(batch_a, batch_b);
  const int64_t total = batch * m * n;
  if (total == 0) return;
  if (bias_mode != kNoBias) fill_bias(c, batch * m, n, bias, bias_mode);
  else if (k == 0) std::memset(c, 0, total * sizeof(float));
  if (k > 0) {
    const float beta = bias_mode != kNoBias ? 1.f : 0.f;
    const int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
    if (is_thin_matmul(m, n, k, trans_a, trans_b)) {
      thin_batch_matmul(a, b, c, batch_a, batch_b, m, n, k, trans_a, trans_b, beta);
    } else if (batch == 1 || (batch_b == 1 && !trans_a)) {
      // One product; stacked rows of A share one B: [batch*M, K] x [K, N].
      sgemm_parallel(trans_a, trans_b, batch_a * m, n, k, a, lda, b, ldb, beta, c, n);
    } else if (m * n * k >= kGemmGrain * num_threads()) {
      for (int64_t i = 0; i < batch; ++i) {
        sgemm_parallel(trans_a, trans_b, m, n, k, a + (i % batch_a) * m * k, lda, b + (i % batch_b) * k * n, ldb,
                       beta, c + i * m * n, n);
      }
    } else {  // many small products: one per task (the tiniest without packing)
      const bool tiny = m * n * k <= kSmallProduct;
      parallel_for(batch, std::max<int64_t>(1, kGemmGrain / std::max<int64_t>(1, m * n * k)),
                   [&](int64_t i0, int64_t i1) {
                     for (int64_t i = i0; i < i1; ++i) {
                       const float* ai = a + (i % batch_a) * m * k;
                       const float* bi = b + (i % batch_b) * k * n;
                       if (tiny) small_gemm(trans_a, trans_b, m, n, k, ai, lda, bi, ldb, beta, c + i * m * n, n);
                       else sgemm(trans_a, trans_b, m, n, k, ai, lda, bi, ldb, beta, c + i * m * n, n);
                     }
                   });
    }
  }
  apply_activation(c, total, act, alpha);
}

}  // namespace mtl
