// A dense layer in one call each way, for the fused dense op (src/backend/native/
// fusedDense.ts): forward y = act(x·W + b) (x [rows, in], W [in, units]), and backward
// from dy and the saved x, W and y: g = dy ⊙ act'(y) (act' read off the output),
// db = Σ_rows g, dx = g·Wᵀ, dW = xᵀ·g. tfjs runs the backward as 6–8 kernels
// (Step, Cast, Multiply, Sum, Reshapes, two BatchMatMuls) each with the engine's
// bookkeeping; here it is one, with the three products on the pool.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "simd_clones.h"

namespace mtl {

namespace {
constexpr int64_t kBiasBlock = 64;  // rows per partial bias sum (fixed: results independent of threads)

// Rows [r0, r1) of g = dy ⊙ act'(y) (into g; nothing for kLinear), NaN outputs
// propagating as tfjs's Step does, and, when `sums` is not null, sums[j] += g[r][j]
// (dy for kLinear) in row order. Vectorised for AVX2 where the CPU has it.
MTL_VECTOR_CLONES
void gradient_rows(const float* __restrict dy, const float* __restrict y, float* __restrict g, double* __restrict sums,
                   int64_t r0, int64_t r1, int64_t units, int32_t act) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* d = dy + r * units;
    const float* o = y + r * units;
    float* out = g + r * units;
    switch (act) {
      case kRelu:
        for (int64_t j = 0; j < units; ++j) out[j] = std::isnan(o[j]) ? o[j] : (o[j] > 0.f ? d[j] : 0.f);
        break;
      case kSigmoid:
        for (int64_t j = 0; j < units; ++j) out[j] = d[j] * (o[j] * (1.f - o[j]));
        break;
      case kDenseTanh:
        for (int64_t j = 0; j < units; ++j) out[j] = (1.f - o[j] * o[j]) * d[j];
        break;
      case kDenseSoftmax: {
        double s = 0;
        for (int64_t j = 0; j < units; ++j) s += d[j] * o[j];
        const float sf = static_cast<float>(s);
        for (int64_t j = 0; j < units; ++j) out[j] = (d[j] - sf) * o[j];
        break;
      }
      default:
        break;
    }
    if (sums != nullptr) {
      const float* row = act == kLinear ? d : out;
      for (int64_t j = 0; j < units; ++j) sums[j] += row[j];
    }
  }
}
}  // namespace

void dense_forward(const float* x, const float* w, const float* bias, float* y, int64_t rows, int64_t in,
                   int64_t units, int32_t act) {
  const bool elementwise = act == kLinear || act == kRelu || act == kSigmoid;
  batch_matmul(x, w, y, 1, 1, rows, units, in, false, false, bias, bias != nullptr ? kBiasPerColumn : kNoBias,
               elementwise ? act : kLinear, 0.f);
  if (act == kDenseTanh) {
    unary(kOpTanh, y, y, rows * units, 0.f);
  } else if (act == kDenseSoftmax) {
    softmax(y, y, rows, units);
  }
}

const float* activation_bias_gradient(const float* dy, const float* y, int64_t rows, int64_t units, int32_t act,
                                     float* g, float* db) {
  const float* grad = dy;
  const int64_t blocks = (rows + kBiasBlock - 1) / kBiasBlock;
  std::vector<double> partial(db != nullptr ? blocks * units : 0);
  if (act != kLinear || db != nullptr) {
    parallel_for(blocks, std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(1, kBiasBlock * units)),
                 [&](int64_t b0, int64_t b1) {
                   for (int64_t blk = b0; blk < b1; ++blk) {
                     const int64_t r0 = blk * kBiasBlock, r1 = std::min(rows, r0 + kBiasBlock);
                     gradient_rows(dy, y, g, db != nullptr ? partial.data() + blk * units : nullptr, r0, r1, units, act);
                   }
                 });
    if (act != kLinear) grad = g;
  }
  if (db != nullptr) {
    for (int64_t j = 0; j < units; ++j) {
      double s = 0;
      for (int64_t blk = 0; blk < blocks; ++blk) s += partial[blk * units + j];
      db[j] = static_cast<float>(s);
    }
  }
  return grad;
}

void dense_backward(const float* dy, const float* x, const float* w, const float* y, int64_t rows, int64_t in,
                    int64_t units, int32_t act, float* g, float* dx, float* dw, float* db) {
  const float* grad = activation_bias_gradient(dy, y, rows, units, act, g, db);
  if (dx != nullptr) batch_matmul(grad, w, dx, 1, 1, rows, in, units, false, true, nullptr, kNoBias, kLinear, 0.f);
  if (dw != nullptr) batch_matmul(x, grad, dw, 1, 1, in, units, rows, true, false, nullptr, kNoBias, kLinear, 0.f);
}

}  // namespace mtl
