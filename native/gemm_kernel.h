// The addon's own single-threaded GEMM, blocked and packed in the manner of
// Goto & van de Geijn ("Anatomy of high-performance matrix multiplication", ACM TOMS
// 2008): C (m×n) = A (m×k) · B (k×n) + beta·C, every operand given by a pointer and
// two strides, so transposes (and the swapped problem Cᵀ = BᵀAᵀ) are stride changes.
// B is packed in KC×NC blocks of NR-column panels, A in MC×KC blocks of MR-row
// panels (zero-padded), and an MR×NR register tile of C is updated per KC step.
//
// This header is included by one translation unit per instruction set
// (gemm_avx512.cc, gemm_avx2.cc, gemm_portable.cc), each compiled with its own flags
// and defining `Isa` (vector type, load/store/broadcast/fma, MR, NR) before including
// it. Everything here has internal linkage and calls no C++ library template: an
// inline function instantiated in a TU built for AVX-512 could otherwise be the copy
// the linker keeps for the whole addon.
#pragma once
#include <cstdint>
#include <cstring>

#include "gemm_own.h"

namespace {

constexpr int64_t kKc = 256;   // depth of one packed block (A panel and B panel rows)
constexpr int64_t kNc = 2048;  // columns of one packed B block

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

constexpr int kMr = Isa::kMr;
constexpr int kNr = Isa::kNr;
constexpr int kVecPerRow = kNr / Isa::kLanes;  // vectors across one row of the tile
constexpr int64_t kMc = kMr * (Isa::kMcPanels);

// Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels: dst[panel][p][i].
void pack_a(const mtl::GemmOperands& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += kMr) {
    const int64_t rows = min64(kMr, mc - ir);
    float* panel = dst + ir * kc;
    const float* base = g.a + (i0 + ir) * g.a_rs + p0 * g.a_cs;
    if (g.a_rs == 1 && rows == kMr) {  // op(A) column-contiguous: MR values per depth step
      for (int64_t p = 0; p < kc; ++p) std::memcpy(panel + p * kMr, base + p * g.a_cs, kMr * sizeof(float));
      continue;
    }
    for (int64_t i = 0; i < rows; ++i) {
      const float* src = base + i * g.a_rs;
      if (g.a_cs == 1) {
        for (int64_t p = 0; p < kc; ++p) panel[p * kMr + i] = src[p];
      } else {
        for (int64_t p = 0; p < kc; ++p) panel[p * kMr + i] = src[p * g.a_cs];
      }
    }
    for (int64_t i = rows; i < kMr; ++i) {
      for (int64_t p = 0; p < kc; ++p) panel[p * kMr + i] = 0.f;
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels: dst[panel][p][j].
void pack_b(const mtl::GemmOperands& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += kNr) {
    const int64_t cols = min64(kNr, nc - jr);
    float* panel = dst + jr * kc;
    const float* base = g.b + p0 * g.b_rs + (j0 + jr) * g.b_cs;
    if (g.b_cs == 1 && cols == kNr) {
      for (int64_t p = 0; p < kc; ++p) std::memcpy(panel + p * kNr, base + p * g.b_rs, kNr * sizeof(float));
      continue;
    }
    for (int64_t j = 0; j < cols; ++j) {
      const float* src = base + j * g.b_cs;
      if (g.b_rs == 1) {
        for (int64_t p = 0; p < kc; ++p) panel[p * kNr + j] = src[p];
      } else {
        for (int64_t p = 0; p < kc; ++p) panel[p * kNr + j] = src[p * g.b_rs];
      }
    }
    for (int64_t j = cols; j < kNr; ++j) {
      for (int64_t p = 0; p < kc; ++p) panel[p * kNr + j] = 0.f;
    }
  }
}

// The register tile: acc[i][v] = Σ_p a[p][i]·b[p][v·lanes..], then C ← acc + beta·C.
// `rows`, `cols` < MR, NR on the edges (then the tile goes through a local buffer),
// and c_cs != 1 (the swapped problem) always does.
[[gnu::always_inline]] inline void micro_kernel(int64_t kc, const float* a, const float* b, float* c, int64_t c_rs,
                                                int64_t c_cs, float beta, int64_t rows, int64_t cols) {
  typename Isa::Vec acc[kMr][kVecPerRow];
  for (int i = 0; i < kMr; ++i) {
    for (int v = 0; v < kVecPerRow; ++v) acc[i][v] = Isa::zero();
  }
  for (int64_t p = 0; p < kc; ++p) {
    typename Isa::Vec bv[kVecPerRow];
    for (int v = 0; v < kVecPerRow; ++v) bv[v] = Isa::load(b + v * Isa::kLanes);
    for (int i = 0; i < kMr; ++i) {
      const typename Isa::Vec av = Isa::broadcast(a + i);
      for (int v = 0; v < kVecPerRow; ++v) acc[i][v] = Isa::fma(av, bv[v], acc[i][v]);
    }
    a += kMr;
    b += kNr;
  }
  if (rows == kMr && cols == kNr && c_cs == 1) {
    for (int i = 0; i < kMr; ++i) {
      float* row = c + i * c_rs;
      for (int v = 0; v < kVecPerRow; ++v) {
        typename Isa::Vec out = acc[i][v];
        if (beta != 0.f) out = Isa::fma(Isa::set1(beta), Isa::load(row + v * Isa::kLanes), out);
        Isa::store(row + v * Isa::kLanes, out);
      }
    }
    return;
  }
  alignas(64) float tile[kMr * kNr];
  for (int i = 0; i < kMr; ++i) {
    for (int v = 0; v < kVecPerRow; ++v) Isa::store(tile + i * kNr + v * Isa::kLanes, acc[i][v]);
  }
  if (c_cs == 1) {
    for (int64_t i = 0; i < rows; ++i) {
      float* out = c + i * c_rs;
      const float* t = tile + i * kNr;
      if (beta != 0.f) {
        for (int64_t j = 0; j < cols; ++j) out[j] = t[j] + beta * out[j];
      } else {
        for (int64_t j = 0; j < cols; ++j) out[j] = t[j];
      }
    }
  } else {  // the swapped problem (c_rs == 1): C's rows are the tile's columns
    for (int64_t j = 0; j < cols; ++j) {
      float* out = c + j * c_cs;
      if (beta != 0.f) {
        for (int64_t i = 0; i < rows; ++i) out[i * c_rs] = tile[i * kNr + j] + beta * out[i * c_rs];
      } else {
        for (int64_t i = 0; i < rows; ++i) out[i * c_rs] = tile[i * kNr + j];
      }
    }
  }
}

// The blocked loops over one problem, single-threaded. `work` holds at least
// gemm_workspace_floats() floats, 64-byte aligned.
void gemm_blocked(const mtl::GemmOperands& g, float* work) {
  float* packed_b = work;
  float* packed_a = work + kKc * ((kNc + kNr - 1) / kNr * kNr);
  for (int64_t jc = 0; jc < g.n; jc += kNc) {
    const int64_t nc = min64(kNc, g.n - jc);
    for (int64_t pc = 0; pc < g.k; pc += kKc) {
      const int64_t kc = min64(kKc, g.k - pc);
      const float beta = pc == 0 ? g.beta : 1.f;
      pack_b(g, pc, kc, jc, nc, packed_b);
      for (int64_t ic = 0; ic < g.m; ic += kMc) {
        const int64_t mc = min64(kMc, g.m - ic);
        pack_a(g, ic, mc, pc, kc, packed_a);
        for (int64_t jr = 0; jr < nc; jr += kNr) {
          const int64_t cols = min64(kNr, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += kMr) {
            const int64_t rows = min64(kMr, mc - ir);
            micro_kernel(kc, packed_a + ir * kc, packed_b + jr * kc, g.c + (ic + ir) * g.c_rs + (jc + jr) * g.c_cs,
                         g.c_rs, g.c_cs, beta, rows, cols);
          }
        }
      }
    }
  }
}

// Narrow products: C (m×N) = op(A)·op(B) + beta·C with N ≤ kNarrowMax columns (a
// multi-task network's heads: 256×256·256×3, and their weight gradients). The blocked
// loops above would pad N to a whole register tile (3 of 32 columns), or, swapped,
// gather op(B) transposed into panels for one use. Two forms, by op(A)'s layout:
//  - rows of op(A) contiguous: per row, N dot products along k, vectors of k values,
//    R rows at a time sharing the loads of op(B)'s columns (packed once, k-major);
//  - columns of op(A) contiguous: per block of m (R vectors of rows), N columns of
//    accumulators, each step along k one vector load per R and one broadcast of op(B).
constexpr int kNarrowMax = 4;
constexpr int64_t kNarrowKc = 2048;  // k values per block of packed op(B) columns
constexpr int64_t kNarrowColumnsKc = 256;  // k steps per partial sum of the columns form

// Rows (or vectors of rows) per tile for N columns: the accumulator budget divided among them, at most 4.
template <int N>
constexpr int narrow_tile() {
  return Isa::kNarrowAccumulators / N >= 4 ? 4 : (Isa::kNarrowAccumulators / N < 1 ? 1 : Isa::kNarrowAccumulators / N);
}

// RR rows of the dot-product form over packed op(B) columns `cols` (k-block at pc).
template <int N, int RR>
[[gnu::always_inline]] inline void narrow_rows_tile(const mtl::GemmOperands& g, const float* cols, int64_t pc, int64_t kc,
                                                    float beta, int64_t i) {
  using Vec = typename Isa::Vec;
  constexpr int L = Isa::kLanes;
  const int64_t whole = kc / L * L;
  Vec acc[RR][N];
  for (int r = 0; r < RR; ++r) {
    for (int j = 0; j < N; ++j) acc[r][j] = Isa::zero();
  }
  const float* a[RR];
  for (int r = 0; r < RR; ++r) a[r] = g.a + (i + r) * g.a_rs + pc;
  for (int64_t p = 0; p < whole; p += L) {
    Vec b[N];
    for (int j = 0; j < N; ++j) b[j] = Isa::load(cols + j * kNarrowKc + p);
    for (int r = 0; r < RR; ++r) {
      const Vec av = Isa::load(a[r] + p);
      for (int j = 0; j < N; ++j) acc[r][j] = Isa::fma(av, b[j], acc[r][j]);
    }
  }
  if (whole < kc) {
    const int rest = static_cast<int>(kc - whole);
    Vec b[N];
    for (int j = 0; j < N; ++j) b[j] = Isa::load_partial(cols + j * kNarrowKc + whole, rest);
    for (int r = 0; r < RR; ++r) {
      const Vec av = Isa::load_partial(a[r] + whole, rest);
      for (int j = 0; j < N; ++j) acc[r][j] = Isa::fma(av, b[j], acc[r][j]);
    }
  }
  for (int r = 0; r < RR; ++r) {
    for (int j = 0; j < N; ++j) {
      float* out = g.c + (i + r) * g.c_rs + j * g.c_cs;
      const float v = Isa::sum(acc[r][j]);
      *out = beta != 0.f ? v + beta * *out : v;
    }
  }
}

template <int N>
void narrow_rows(const mtl::GemmOperands& g, float* work) {
  constexpr int R = narrow_tile<N>();
  for (int64_t pc = 0; pc < g.k; pc += kNarrowKc) {
    const int64_t kc = min64(kNarrowKc, g.k - pc);
    const float beta = pc == 0 ? g.beta : 1.f;
    // op(B)[pc:pc+kc, j] as N contiguous columns.
    for (int j = 0; j < N; ++j) {
      const float* src = g.b + pc * g.b_rs + j * g.b_cs;
      for (int64_t p = 0; p < kc; ++p) work[j * kNarrowKc + p] = src[p * g.b_rs];
    }
    int64_t i = 0;
    for (; i + R <= g.m; i += R) narrow_rows_tile<N, R>(g, work, pc, kc, beta, i);
    for (; i < g.m; ++i) narrow_rows_tile<N, 1>(g, work, pc, kc, beta, i);
  }
}

template <int N>
void narrow_columns(const mtl::GemmOperands& g) {
  using Vec = typename Isa::Vec;
  constexpr int L = Isa::kLanes;
  constexpr int R = narrow_tile<N>();
  alignas(64) float buffer[L];
  for (int64_t i0 = 0; i0 < g.m; i0 += R * L) {
    const int64_t rows = min64(R * L, g.m - i0);
    // Each lane sums at most kNarrowColumnsKc products before they join the running
    // total: a float error that grows with k/kNarrowColumnsKc + kNarrowColumnsKc, as the
    // blocked loops' (one sum per k-block added into C), not with k.
    Vec total[R][N];
    for (int r = 0; r < R; ++r) {
      for (int j = 0; j < N; ++j) total[r][j] = Isa::zero();
    }
    for (int64_t pc = 0; pc < g.k; pc += kNarrowColumnsKc) {
      const int64_t pe = min64(g.k, pc + kNarrowColumnsKc);
      Vec acc[R][N];
      for (int r = 0; r < R; ++r) {
        for (int j = 0; j < N; ++j) acc[r][j] = Isa::zero();
      }
      if (rows == R * L) {
        for (int64_t p = pc; p < pe; ++p) {
          const float* a = g.a + p * g.a_cs + i0;
          const float* b = g.b + p * g.b_rs;
          for (int j = 0; j < N; ++j) {
            const Vec bv = Isa::broadcast(b + j * g.b_cs);
            for (int r = 0; r < R; ++r) acc[r][j] = Isa::fma(Isa::load(a + r * L), bv, acc[r][j]);
          }
        }
      } else {
        for (int64_t p = pc; p < pe; ++p) {
          const float* a = g.a + p * g.a_cs + i0;
          const float* b = g.b + p * g.b_rs;
          for (int r = 0; r < R && r * L < rows; ++r) {
            const int64_t left = rows - r * L;
            const Vec av = left >= L ? Isa::load(a + r * L) : Isa::load_partial(a + r * L, static_cast<int>(left));
            for (int j = 0; j < N; ++j) acc[r][j] = Isa::fma(av, Isa::broadcast(b + j * g.b_cs), acc[r][j]);
          }
        }
      }
      for (int r = 0; r < R; ++r) {
        for (int j = 0; j < N; ++j) total[r][j] = pc == 0 ? acc[r][j] : Isa::add(total[r][j], acc[r][j]);
      }
    }
    for (int r = 0; r < R && r * L < rows; ++r) {
      const int64_t count = min64(L, rows - r * L);
      for (int j = 0; j < N; ++j) {
        Isa::store(buffer, total[r][j]);
        float* out = g.c + (i0 + r * L) * g.c_rs + j * g.c_cs;
        for (int64_t t = 0; t < count; ++t) {
          out[t * g.c_rs] = g.beta != 0.f ? buffer[t] + g.beta * out[t * g.c_rs] : buffer[t];
        }
      }
    }
  }
}

// A narrow product (n ≤ kNarrowMax, k ≥ 1) in one of the two forms; false (nothing done)
// when op(A) is contiguous along neither rows nor columns. `work` holds at least
// kNarrowMax·kNarrowKc floats.
bool gemm_narrow(const mtl::GemmOperands& g, float* work) {
  if (g.n < 1 || g.n > kNarrowMax) return false;
  if (g.a_cs == 1) {
    switch (g.n) {
      case 1: narrow_rows<1>(g, work); return true;
      case 2: narrow_rows<2>(g, work); return true;
      case 3: narrow_rows<3>(g, work); return true;
      default: narrow_rows<4>(g, work); return true;
    }
  }
  if (g.a_rs == 1) {
    switch (g.n) {
      case 1: narrow_columns<1>(g); return true;
      case 2: narrow_columns<2>(g); return true;
      case 3: narrow_columns<3>(g); return true;
      default: narrow_columns<4>(g); return true;
    }
  }
  return false;
}

}  // namespace
