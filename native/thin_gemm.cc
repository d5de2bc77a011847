// Thin matrix products: an output of a few values (M·N small) over a long K, such as
// the T×T Gramian G·Gᵀ of per-task gradients (T ≤ ~8, K = parameters) or G·v.
// cblas_sgemm is tuned for large tiles and loses to plain dot products here, both in
// time (packing and tile overheads: ~10× slower on 3×65,536·65,536×3) and in accuracy
// (long float sums). Each output is a dot product over K in 8 float lanes, tiles of
// up to 3×4 outputs sharing their loads; every kFloatRun products a lane is added into
// a double lane, so float rounding never acts on long sums. K is cut into fixed parts
// that run on the pool; their double sums are added in part order, so results do not
// depend on the thread count. For G·Gᵀ of one buffer only the upper triangle is
// computed, then mirrored.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "parallel.h"

// The 8-float vectors below are passed between always-inlined functions only, so GCC's
// note that the baseline build has no AVX calling convention for them does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define MTL_THIN_CLONES __attribute__((target_clones("fma", "default")))
#endif
#endif
#ifndef MTL_THIN_CLONES
#define MTL_THIN_CLONES
#endif

namespace mtl {

namespace {
constexpr int64_t kLanes = 8;          // float accumulators per dot product (one AVX vector)
constexpr int kTileA = 3, kTileB = 4;  // outputs computed together: 12 accumulators, 7 loads
constexpr int64_t kFloatRun = 32;      // products a float lane sums before a double add
constexpr int64_t kBlock = 512;        // K values per block (packing, tile loop)
constexpr int64_t kPart = 1 << 14;     // K values per parallel part (fixed: deterministic)
constexpr int64_t kSerialWork = 1 << 17;  // multiply-adds below which a product stays serial

bool thin_enabled = [] {
  const char* env = std::getenv("MTL_NATIVE_THIN_MATMUL");
  return env == nullptr || std::strcmp(env, "0") != 0;
}();

// Eight floats as one value (GCC/Clang vector extension): one AVX register, or two
// SSE registers in the baseline build.
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
typedef double Doubles __attribute__((vector_size(4 * sizeof(double))));  // one AVX register

// A double total of 8 float lanes, kept as two native 4-double vectors.
struct DoubleLanes {
  Doubles low, high;
  [[gnu::always_inline]] void add(const Lanes& v) {
    low += __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3), Doubles);
    high += __builtin_convertvector(__builtin_shufflevector(v, v, 4, 5, 6, 7), Doubles);
  }
  [[gnu::always_inline]] double sum() const {
    const Doubles t = low + high;
    return (t[0] + t[1]) + (t[2] + t[3]);
  }
};

// An unaligned load.
[[gnu::always_inline]] inline Lanes load(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// out[r*ldo + s] += Σ_k x[r][k]·y[s][k] over n ≤ kBlock contiguous values, for a tile
// of RA rows of op(A) by RB columns of op(B): each loaded vector serves RA or RB
// products. Each lane sums kFloatRun products in float, then adds into a double lane.
template <int RA, int RB>
[[gnu::always_inline]] inline void dot_tile(const float* const* x, const float* const* y, int64_t n, double* out,
                                           int64_t ldo) {
  DoubleLanes total[RA][RB] = {};
  int64_t i = 0;
  while (i + kLanes <= n) {
    Lanes acc[RA][RB] = {};
    const int64_t run_end = std::min(n - kLanes, i + (kFloatRun - 1) * kLanes);
    for (; i <= run_end; i += kLanes) {
      Lanes xv[RA], yv[RB];
      for (int r = 0; r < RA; ++r) xv[r] = load(x[r] + i);
      for (int s = 0; s < RB; ++s) yv[s] = load(y[s] + i);
      for (int r = 0; r < RA; ++r) {
        for (int s = 0; s < RB; ++s) acc[r][s] += xv[r] * yv[s];
      }
    }
    for (int r = 0; r < RA; ++r) {
      for (int s = 0; s < RB; ++s) total[r][s].add(acc[r][s]);
    }
  }
  for (int r = 0; r < RA; ++r) {
    for (int s = 0; s < RB; ++s) {
      double sum = total[r][s].sum();
      for (int64_t j = i; j < n; ++j) sum += double(x[r][j]) * y[s][j];
      out[r * ldo + s] += sum;
    }
  }
}

template <int RA>
[[gnu::always_inline]] inline void dot_row_tile(const float* const* x, const float* const* y, int rb, int64_t n,
                                               double* out, int64_t ldo) {
  switch (rb) {
    case 1: return dot_tile<RA, 1>(x, y, n, out, ldo);
    case 2: return dot_tile<RA, 2>(x, y, n, out, ldo);
    case 3: return dot_tile<RA, 3>(x, y, n, out, ldo);
    default: return dot_tile<RA, kTileB>(x, y, n, out, ldo);
  }
}

// One operand of a thin product as `rows` vectors over K: row r, element k is at
// data[r * row_stride + k * k_stride]. Either k_stride == 1 (rows contiguous) or
// row_stride == 1 (K-major storage, packed per block).
struct Operand {
  const float* data;
  int64_t rows, row_stride, k_stride;

  // Pointers to each row's values k0..k0+len, packing into `scratch` when strided.
  void block(int64_t k0, int64_t len, float* scratch, const float** out) const {
    if (k_stride == 1) {
      for (int64_t r = 0; r < rows; ++r) out[r] = data + r * row_stride + k0;
      return;
    }
    const float* src = data + k0 * k_stride;
    switch (rows) {  // a fixed row count lets the compiler unroll the transpose
      case 2: transpose<2>(src, len, scratch); break;
      case 3: transpose<3>(src, len, scratch); break;
      default:
        static_assert(kThinMaxPackedRows == 4, "one transpose per packed row count");
        transpose<4>(src, len, scratch);
    }
    for (int64_t r = 0; r < rows; ++r) out[r] = scratch + r * len;
  }

  // scratch[r*len + k] = src[k*R + r] (a [len, R] block to [R, len]).
  template <int R>
  static void transpose(const float* src, int64_t len, float* scratch) {
    for (int64_t k = 0; k < len; ++k) {
      for (int r = 0; r < R; ++r) scratch[r * len + k] = src[k * R + r];
    }
  }
};

// sums[i*n + j] += Σ_{k0 ≤ k < k1} op(A)[i,k]·op(B)[k,j], in blocks of kBlock, tiles
// of kTileA × kTileB outputs. With `symmetric` (op(B) = op(A)ᵀ), tiles below the
// diagonal are skipped. Compiled twice where the compiler can (AVX+FMA and baseline,
// picked at load time by the CPU's features), so the addon's flags stay generic.
MTL_THIN_CLONES
void thin_part(const Operand& a, const Operand& b, int64_t k0, int64_t k1, bool symmetric, double* sums) {
  const int64_t m = a.rows, n = b.rows;
  std::vector<float> scratch((a.k_stride == 1 ? 0 : m * kBlock) + (b.k_stride == 1 ? 0 : n * kBlock));
  float* scratch_a = scratch.data();
  float* scratch_b = scratch.data() + (a.k_stride == 1 ? 0 : m * kBlock);
  const float* rows_a[kThinMaxOutputs];
  const float* rows_b[kThinMaxOutputs];
  for (int64_t k = k0; k < k1; k += kBlock) {
    const int64_t len = std::min(kBlock, k1 - k);
    a.block(k, len, scratch_a, rows_a);
    if (symmetric) std::copy(rows_a, rows_a + m, rows_b);
    else b.block(k, len, scratch_b, rows_b);
    for (int64_t i = 0; i < m; i += kTileA) {
      const int ra = static_cast<int>(std::min<int64_t>(kTileA, m - i));
      for (int64_t j = 0; j < n; j += kTileB) {
        const int rb = static_cast<int>(std::min<int64_t>(kTileB, n - j));
        if (symmetric && j + rb <= i) continue;  // entirely below the diagonal
        double* out = sums + i * n + j;
        if (ra == 1) dot_row_tile<1>(rows_a + i, rows_b + j, rb, len, out, n);
        else if (ra == 2) dot_row_tile<2>(rows_a + i, rows_b + j, rb, len, out, n);
        else dot_row_tile<kTileA>(rows_a + i, rows_b + j, rb, len, out, n);
      }
    }
  }
}
}  // namespace

bool thin_matmul_enabled() { return thin_enabled; }
void set_thin_matmul_enabled(bool enabled) { thin_enabled = enabled; }

bool is_thin_matmul(int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b) {
  // A K-major operand (A transposed, B not) is transposed block by block first; past
  // kThinMaxPackedRows rows that costs more than sgemm saves (bench/native/thinMatMul.ts).
  const int64_t packed = std::max(trans_a ? m : 1, trans_b ? 1 : n);
  return thin_enabled && m * n <= kThinMaxOutputs && k >= kThinMinK && packed <= kThinMaxPackedRows;
}

void thin_batch_matmul(const float* a, const float* b, float* c, int64_t batch_a, int64_t batch_b, int64_t m,
                       int64_t n, int64_t k, bool trans_a, bool trans_b, float beta) {
  const int64_t batch = std::max(batch_a, batch_b);
  if (batch == 0 || m == 0 || n == 0) return;
  const int64_t parts = std::max<int64_t>(1, (k + kPart - 1) / kPart);
  std::vector<double> sums(batch * parts * m * n, 0.0);
  // op(A) rows: A is [M,K] (contiguous rows) or [K,M] when transposed (K-major).
  // op(B) columns: B is [N,K] when transposed (contiguous) or [K,N] (K-major).
  auto operand_a = [&](int64_t i) {
    const float* p = a + (i % batch_a) * m * k;
    return trans_a && m > 1 ? Operand{p, m, 1, m} : Operand{p, m, k, 1};
  };
  auto operand_b = [&](int64_t i) {
    const float* p = b + (i % batch_b) * k * n;
    return !trans_b && n > 1 ? Operand{p, n, 1, n} : Operand{p, n, k, 1};
  };
  // G·Gᵀ (or GᵀG of a [K,M] G): the same buffer on both sides, one transposed.
  const bool symmetric = a == b && batch_a == batch_b && m == n && trans_a != trans_b;
  const int64_t grain = std::max<int64_t>(1, kSerialWork / std::max<int64_t>(1, m * n * std::min(k, kPart)));
  parallel_for(batch * parts, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t i = t / parts, p = t % parts;
      thin_part(operand_a(i), operand_b(i), p * kPart, std::min(k, (p + 1) * kPart), symmetric,
                sums.data() + t * m * n);
    }
  });
  for (int64_t i = 0; i < batch; ++i) {
    float* out = c + i * m * n;
    const double* part = sums.data() + i * parts * m * n;
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t j = 0; j < n; ++j) {
        const int64_t at = symmetric && j < r ? j * n + r : r * n + j;
        double s = 0;
        for (int64_t p = 0; p < parts; ++p) s += part[p * m * n + at];
        out[r * n + j] = static_cast<float>(beta != 0.f ? s + double(beta) * out[r * n + j] : s);
      }
    }
  }
}

}  // namespace mtl
