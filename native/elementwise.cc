// Element-wise ops, broadcasting binary ops, axis reductions, softmax and AddN.
// Semantics follow tfjs's cpu kernels (float32 results, NaN propagation; sums
// accumulate in double like the JS loops they replace).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "simd_clones.h"

namespace mtl {

namespace {

constexpr int64_t kGrain = 1 << 16;  // values per thread below which loops stay serial
constexpr int kMaxRank = 8;

// Captures by value: a functor read through a reference could alias y, which stops
// GCC from vectorizing (and forces a reload per element).
template <typename F>
void map_unary(const float* x, float* y, int64_t n, F f) {
  parallel_for(n, kGrain, [f, x, y](int64_t begin, int64_t end) {
    const F g = f;  // a local copy: its captures cannot alias y
    for (int64_t i = begin; i < end; ++i) y[i] = g(x[i]);
  });
}

// Applies f along one contiguous output row with the given input strides (0 or 1
// on the fast paths, anything otherwise).
template <typename F>
inline void binary_row(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n, F f) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i * sa], b[i * sb]);
  }
}

template <typename F>
void binary_broadcast(const float* a, const float* b, float* out, int32_t rank, const int64_t* shape,
                      const int64_t* as, const int64_t* bs, F f) {
  // Collapse: drop size-1 dims, then merge neighbours that are jointly contiguous.
  int64_t dims[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  int r = 0;
  for (int i = 0; i < rank; ++i) {
    if (shape[i] == 1) continue;
    if (r > 0 && sa[r - 1] == as[i] * shape[i] && sb[r - 1] == bs[i] * shape[i]) {
      dims[r - 1] *= shape[i];
      sa[r - 1] = as[i];
      sb[r - 1] = bs[i];
    } else {
      dims[r] = shape[i];
      sa[r] = as[i];
      sb[r] = bs[i];
      ++r;
    }
  }
  if (r == 0) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const int64_t inner = dims[r - 1];
  int64_t outer = 1;
  for (int i = 0; i < r - 1; ++i) outer *= dims[i];
  const int64_t grain = std::max<int64_t>(1, kGrain / inner);
  parallel_for(outer, grain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t oa = 0, ob = 0, rest = row;
      for (int i = r - 2; i >= 0; --i) {
        const int64_t idx = rest % dims[i];
        rest /= dims[i];
        oa += idx * sa[i];
        ob += idx * sb[i];
      }
      binary_row(a + oa, sa[r - 1], b + ob, sb[r - 1], out + row * inner, inner, f);
    }
  });
}

}  // namespace

void unary(int32_t op, const float* x, float* y, int64_t n, float alpha) {
  switch (op) {
    case kOpRelu: return map_unary(x, y, n, [](float v) { return v < 0.f ? 0.f : v; });
    case kOpStep:
      return map_unary(x, y, n, [alpha](float v) { return v > 0.f ? 1.f : (v != v ? v : alpha); });
    case kOpNeg: return map_unary(x, y, n, [](float v) { return -v; });
    case kOpExp: return map_unary(x, y, n, [](float v) { return std::exp(v); });
    case kOpLog: return map_unary(x, y, n, [](float v) { return std::log(v); });
    case kOpSqrt: return map_unary(x, y, n, [](float v) { return std::sqrt(v); });
    case kOpSquare: return map_unary(x, y, n, [](float v) { return v * v; });
    case kOpSigmoid: return map_unary(x, y, n, [](float v) { return 1.f / (1.f + std::exp(-v)); });
    case kOpRelu6:
      return map_unary(x, y, n, [](float v) { return v < 0.f ? 0.f : (v > 6.f ? 6.f : v); });
    case kOpTanh: return map_unary(x, y, n, [](float v) { return std::tanh(v); });
    case kOpAbs: return map_unary(x, y, n, [](float v) { return std::fabs(v); });
    case kOpRsqrt: return map_unary(x, y, n, [](float v) { return 1.f / std::sqrt(v); });
  }
}

void binary(int32_t op, const float* a, const float* b, float* out, int32_t rank, const int64_t* shape,
            const int64_t* as, const int64_t* bs) {
  switch (op) {
    case kOpAdd: return binary_broadcast(a, b, out, rank, shape, as, bs, [](float x, float y) { return x + y; });
    case kOpSub: return binary_broadcast(a, b, out, rank, shape, as, bs, [](float x, float y) { return x - y; });
    case kOpMul: return binary_broadcast(a, b, out, rank, shape, as, bs, [](float x, float y) { return x * y; });
    case kOpDiv: return binary_broadcast(a, b, out, rank, shape, as, bs, [](float x, float y) { return x / y; });
    case kOpMaximum:
      return binary_broadcast(a, b, out, rank, shape, as, bs, [](float x, float y) {
        return std::isnan(x) || std::isnan(y) ? std::numeric_limits<float>::quiet_NaN() : (x > y ? x : y);
      });
    case kOpMinimum:
      return binary_broadcast(a, b, out, rank, shape, as, bs, [](float x, float y) {
        return std::isnan(x) || std::isnan(y) ? std::numeric_limits<float>::quiet_NaN() : (x < y ? x : y);
      });
    case kOpSquaredDifference:
      return binary_broadcast(a, b, out, rank, shape, as, bs, [](float x, float y) {
        const float d = x - y;
        return d * d;
      });
  }
}

void reduce(int32_t op, const float* x, float* out, int32_t rank, const int64_t* shape,
            const int32_t* flags) {
  // Collapse to alternating kept / reduced groups of contiguous dims.
  int64_t dims[kMaxRank];
  bool red[kMaxRank];
  int r = 0;
  int64_t out_size = 1, in_size = 1;
  for (int i = 0; i < rank; ++i) {
    in_size *= shape[i];
    if (!flags[i]) out_size *= shape[i];
    if (shape[i] == 1) continue;
    const bool is_red = flags[i] != 0;
    if (r > 0 && red[r - 1] == is_red) {
      dims[r - 1] *= shape[i];
    } else {
      dims[r] = shape[i];
      red[r] = is_red;
      ++r;
    }
  }
  if (out_size == 0) return;
  const bool is_max = op == kReduceMax;
  if (in_size == 0) {  // reducing an empty axis: tfjs gives 0 for sum
    std::fill(out, out + out_size, is_max ? -std::numeric_limits<float>::infinity() : 0.f);
    return;
  }
  if (r == 0 || (r == 1 && !red[0])) {  // nothing reduced
    std::memcpy(out, x, out_size * sizeof(float));
    return;
  }
  // Fast path: [keep, reduce] -> one value per row, rows in parallel.
  if (red[r - 1] && (r == 1 || (r == 2 && !red[0]))) {
    const int64_t inner = dims[r - 1], rows = out_size;
    parallel_for(rows, std::max<int64_t>(1, kGrain / inner), [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const float* p = x + row * inner;
        if (is_max) {
          float m = p[0];
          for (int64_t j = 0; j < inner; ++j) {
            if (std::isnan(p[j]) || p[j] > m) m = p[j];
          }
          out[row] = m;
        } else {
          double s = 0;
          for (int64_t j = 0; j < inner; ++j) s += p[j];
          out[row] = static_cast<float>(s);
        }
      }
    });
    return;
  }
  int64_t out_stride[kMaxRank];
  for (int i = r - 1, s = 1; i >= 0; --i) {
    out_stride[i] = red[i] ? 0 : s;
    if (!red[i]) s *= dims[i];
  }
  const int64_t inner = dims[r - 1], rows = in_size / inner;
  auto out_offset = [&](int64_t row) {
    int64_t o = 0, rest = row;
    for (int i = r - 2; i >= 0; --i) {
      o += (rest % dims[i]) * out_stride[i];
      rest /= dims[i];
    }
    return o;
  };
  if (!is_max) {
    // Sums: parts of the rows accumulate into their own double buffers, then add up.
    const int64_t parts = std::max<int64_t>(
        1, std::min({4 * int64_t(num_threads()), in_size / kGrain, (int64_t(1) << 20) / out_size}));
    std::vector<double> acc(parts * out_size, 0.0);
    parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        double* a = acc.data() + p * out_size;
        for (int64_t row = rows * p / parts; row < rows * (p + 1) / parts; ++row) {
          const float* x_row = x + row * inner;
          double* q = a + out_offset(row);
          if (red[r - 1]) {
            double s = 0;
            for (int64_t j = 0; j < inner; ++j) s += x_row[j];
            *q += s;
          } else {
            for (int64_t j = 0; j < inner; ++j) q[j] += x_row[j];
          }
        }
      }
    });
    for (int64_t i = 0; i < out_size; ++i) {
      double s = 0;
      for (int64_t p = 0; p < parts; ++p) s += acc[p * out_size + i];
      out[i] = static_cast<float>(s);
    }
    return;
  }
  // Max: walk the input in order (NaN propagates; the first value seeds each output).
  std::vector<bool> seen(out_size, false);
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t o = out_offset(row);
    const float* p = x + row * inner;
    for (int64_t j = 0; j < inner; ++j) {
      const int64_t oi = red[r - 1] ? o : o + j;
      const float v = p[j];
      if (!seen[oi]) {
        seen[oi] = true;
        out[oi] = v;
      } else if (std::isnan(v) || v > out[oi]) {
        out[oi] = v;
      }
    }
  }
}

void softmax(const float* x, float* y, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  parallel_for(rows, std::max<int64_t>(1, kGrain / cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* p = x + r * cols;
      float* q = y + r * cols;
      float m = p[0];
      for (int64_t j = 0; j < cols; ++j) {
        if (std::isnan(p[j]) || p[j] > m) m = p[j];
      }
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) {
        q[j] = std::exp(p[j] - m);
        s += q[j];
      }
      for (int64_t j = 0; j < cols; ++j) q[j] = static_cast<float>(q[j] / s);
    }
  });
}

void add_n(const float* const* xs, int64_t count, float* y, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    std::memcpy(y + begin, xs[0] + begin, (end - begin) * sizeof(float));
    for (int64_t t = 1; t < count; ++t) {
      const float* x = xs[t];
      for (int64_t i = begin; i < end; ++i) y[i] += x[i];
    }
  });
}

namespace {
// out[begin:end) = Σ_t xs[t]·w[t] from 0, each product and sum rounded to float (the
// clones have no FMA, so no contraction: the same floats as the scalar loop).
MTL_VECTOR_CLONES
void weighted_sum_range(const float* const* xs, const float* weights, int64_t count, float* __restrict out,
                        int64_t begin, int64_t end) {
  for (int64_t t = 0; t < count; ++t) {
    const float* __restrict x = xs[t];
    const float w = weights[t];
    if (t == 0) {
      for (int64_t i = begin; i < end; ++i) out[i] = 0.f + x[i] * w;
    } else {
      for (int64_t i = begin; i < end; ++i) out[i] = out[i] + x[i] * w;
    }
  }
}
}  // namespace

void weighted_sum(const float* const* xs, const float* weights, int64_t count, float* y, int64_t n) {
  parallel_for(n, 1 << 15, [&](int64_t begin, int64_t end) { weighted_sum_range(xs, weights, count, y, begin, end); });
}

}  // namespace mtl
