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

}  // namespace
