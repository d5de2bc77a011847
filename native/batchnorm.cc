// Batch normalisation with given statistics (tfjs's FusedBatchNorm), one pass.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels.h"
#include "parallel.h"

namespace mtl {

namespace {

constexpr int64_t kGrain = 1 << 16;  // values per thread below which the loop stays serial
constexpr int64_t kMinRun = 1024;    // short parameters are tiled to at least this many positions
constexpr int64_t kMaxTable = 1 << 16;  // longer parameters are read in place

// One parameter repeated to `length` positions (its own length must divide the period).
std::vector<float> tiled(const BatchNormParam& p, int64_t period, int64_t length, const char* name) {
  if (p.length < 1 || period % p.length != 0) {
    throw std::invalid_argument(std::string("batch_norm: the length of ") + name + " must divide the longest parameter's");
  }
  std::vector<float> out(length);
  for (int64_t j = 0; j < length; ++j) out[j] = p.values[j % p.length];
  return out;
}

}  // namespace

void batch_norm(const float* x, float* y, int64_t n, BatchNormParam mean, BatchNormParam variance,
                BatchNormParam offset, BatchNormParam scale, double epsilon) {
  if (n == 0) return;
  if (mean.values == nullptr || variance.values == nullptr) throw std::invalid_argument("batch_norm: mean and variance are required");
  const float one = 1.f, zero = 0.f;
  if (offset.values == nullptr) offset = {&zero, 1};
  if (scale.values == nullptr) scale = {&one, 1};
  const int64_t period = std::max({mean.length, variance.length, offset.length, scale.length});
  if (period < 1 || n % period != 0) throw std::invalid_argument("batch_norm: the longest parameter's length must divide x's size");
  if (period <= kMaxTable) {
    // Per-channel parameters (the usual case): a = s/√(v + ε) once per position (in
    // double, like tfjs's JS loop), tiled to at least kMinRun positions so that short
    // periods still give long inner loops; then y = (x − m)·a + o.
    const int64_t run = period * ((kMinRun + period - 1) / period);
    const std::vector<float> m = tiled(mean, period, run, "mean"), v = tiled(variance, period, run, "variance"),
                             o = tiled(offset, period, run, "offset"), s = tiled(scale, period, run, "scale");
    std::vector<float> a(run);
    for (int64_t j = 0; j < run; ++j) a[j] = static_cast<float>(s[j] / std::sqrt(double(v[j]) + epsilon));
    const float *mp = m.data(), *ap = a.data(), *op = o.data();
    parallel_for(n, kGrain, [=](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end;) {  // stretches within one run, each a vectorizable loop
        const int64_t j0 = i % run, len = std::min(end - i, run - j0);
        const float* xi = x + i;
        float* yi = y + i;
        const float *mj = mp + j0, *aj = ap + j0, *oj = op + j0;
        for (int64_t k = 0; k < len; ++k) yi[k] = (xi[k] - mj[k]) * aj[k] + oj[k];
        i += len;
      }
    });
    return;
  }
  // Long periods (parameters shaped like x, as layer normalisation passes them): read
  // the parameters in place and compute s/√(v + ε) per value.
  std::vector<float> copies[4];
  const float* p[4];
  const BatchNormParam params[4] = {mean, variance, offset, scale};
  const char* names[4] = {"mean", "variance", "offset", "scale"};
  for (int k = 0; k < 4; ++k) {
    if (params[k].length == period) {
      p[k] = params[k].values;
    } else {
      copies[k] = tiled(params[k], period, period, names[k]);
      p[k] = copies[k].data();
    }
  }
  const float eps = static_cast<float>(epsilon);
  parallel_for(n, kGrain, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end;) {
      const int64_t j0 = i % period, len = std::min(end - i, period - j0);
      const float* xi = x + i;
      float* yi = y + i;
      const float *mj = p[0] + j0, *vj = p[1] + j0, *oj = p[2] + j0, *sj = p[3] + j0;
      for (int64_t k = 0; k < len; ++k) yi[k] = (xi[k] - mj[k]) * (sj[k] / std::sqrt(vj[k] + eps)) + oj[k];
      i += len;
    }
  });
}

}  // namespace mtl
