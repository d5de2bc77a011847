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

namespace mtl {

namespace {
constexpr int64_t kBiasBlock = 64;  // rows per partial bias sum (fixed: results independent of threads)

// g = dy ⊙ act'(y) for one row of `units` values (NaN outputs propagate, as tfjs's Step does).
inline void activation_gradient_row(const float* dy, const float* y, float* g, int64_t units, int32_t act) {
  switch (act) {
    case kRelu:
      for (int64_t j = 0; j < units; ++j) g[j] = std::isnan(y[j]) ? y[j] : (y[j] > 0.f ? dy[j] : 0.f);
      return;
    case kSigmoid:
      for (int64_t j = 0; j < units; ++j) g[j] = dy[j] * (y[j] * (1.f - y[j]));
      return;
    case kDenseTanh:
      for (int64_t j = 0; j < units; ++j) g[j] = (1.f - y[j] * y[j]) * dy[j];
      return;
    case kDenseSoftmax: {
      double s = 0;
      for (int64_t j = 0; j < units; ++j) s += dy[j] * y[j];
      const float sf = static_cast<float>(s);
      for (int64_t j = 0; j < units; ++j) g[j] = (dy[j] - sf) * y[j];
      return;
    }
    default:
      std::memcpy(g, dy, units * sizeof(float));
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
                     double* sums = db != nullptr ? partial.data() + blk * units : nullptr;
                     for (int64_t r = r0; r < r1; ++r) {
                       const float* row = dy + r * units;
                       if (act != kLinear) {
                         activation_gradient_row(row, y + r * units, g + r * units, units, act);
                         row = g + r * units;
                       }
                       if (sums != nullptr) {
                         for (int64_t j = 0; j < units; ++j) sums[j] += row[j];
                       }
                     }
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
