// Which GEMM the addon runs: its own kernels (gemm_kernel.h) for the best instruction
// set the CPU has (AVX-512, AVX2+FMA, portable), or OpenBLAS's cblas_sgemm where the
// addon was built with it (MTL_HAVE_OPENBLAS) and it is the faster one for the shape.
// The instruction set is picked once at load time from the CPU's features;
// MTL_NATIVE_ISA=avx512|avx2|portable forces one (a set the CPU or build lacks falls
// back to the best one available), MTL_NATIVE_GEMM=own|openblas forces the GEMM.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#ifdef MTL_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include "gemm_own.h"
#include "kernels.h"

namespace mtl {

namespace {

bool cpu_has(const char* isa) {
  if (std::strcmp(isa, "portable") == 0) return true;
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (std::strcmp(isa, "avx512") == 0) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  if (std::strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return false;
}

const GemmKernel* compiled(const char* isa) {
  if (std::strcmp(isa, "avx512") == 0) return gemm_kernel_avx512();
  if (std::strcmp(isa, "avx2") == 0) return gemm_kernel_avx2();
  if (std::strcmp(isa, "portable") == 0) return gemm_kernel_portable();
  return nullptr;
}

const char* const kIsas[] = {"avx512", "avx2", "portable"};

const GemmKernel* usable(const char* isa) {
  const GemmKernel* k = compiled(isa);
  return k != nullptr && cpu_has(isa) ? k : nullptr;
}

const GemmKernel* best_kernel() {
  for (const char* isa : kIsas) {
    if (const GemmKernel* k = usable(isa)) return k;
  }
  return gemm_kernel_portable();
}

const GemmKernel* initial_kernel() {
  if (const char* env = std::getenv("MTL_NATIVE_ISA")) {
    if (const GemmKernel* k = usable(env)) return k;
  }
  return best_kernel();
}

const GemmKernel* active = initial_kernel();

enum class Gemm { kOwn, kBlas, kAuto };

Gemm initial_gemm() {
#ifdef MTL_HAVE_OPENBLAS
  if (const char* env = std::getenv("MTL_NATIVE_GEMM")) {
    if (std::strcmp(env, "openblas") == 0) return Gemm::kBlas;
    if (std::strcmp(env, "own") == 0) return Gemm::kOwn;
  }
  return Gemm::kAuto;
#else
  return Gemm::kOwn;
#endif
}

Gemm gemm_choice = initial_gemm();

// Packing buffers, one per thread, grown to the largest kernel's need.
float* workspace(int64_t floats) {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<float, Free> buffer;
  thread_local int64_t size = 0;
  if (size < floats) {
    const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    buffer.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!buffer) throw std::bad_alloc();
    size = floats;
  }
  return buffer.get();
}

int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

#ifdef MTL_HAVE_OPENBLAS
// Whether "auto" sends a product to OpenBLAS. Measured single-threaded, alternating
// in one process (bench/native/gemmShapes.ts) on an AMD EPYC (Zen 5) with OpenBLAS
// 0.3.21, which runs its Haswell (AVX2) kernels there: the own AVX-512 kernels are
// 1.1–1.8× OpenBLAS on the training steps' shapes (a little slower only on outputs
// under 16 columns or depth under 32, a few microseconds), the own AVX2 kernels
// 0.7–1.2× it, the portable ones 0.3–0.6×. So OpenBLAS takes every product unless
// the own kernels run AVX-512.
bool prefer_blas(const GemmKernel* kernel) { return std::strcmp(kernel->isa, "avx512") != 0; }
#endif

}  // namespace

#ifndef MTL_X86_GEMM
// Not an x86 build: only the portable kernels exist.
const GemmKernel* gemm_kernel_avx512() { return nullptr; }
const GemmKernel* gemm_kernel_avx2() { return nullptr; }
#endif

void gemm_serial(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                 int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; ++i) {
      float* row = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) row[j] = beta == 0.f ? 0.f : beta * row[j];
    }
    return;
  }
  const GemmKernel* kernel = active;
  GemmOperands g{m, n, k, a, ta ? 1 : lda, ta ? lda : 1, b, tb ? 1 : ldb, tb ? ldb : 1, c, ldc, 1, beta};
  // The same product transposed: Cᵀ = op(B)ᵀ·op(A)ᵀ.
  const GemmOperands t{n, m, k, b, g.b_cs, g.b_rs, a, g.a_cs, g.a_rs, c, 1, ldc, beta};
  // Products with at most a few columns (or rows) of C: the narrow kernels, unless
  // OpenBLAS is asked for. They beat OpenBLAS and the blocked loops there (measured:
  // bench/native/gemmShapes.ts, the heads' shapes).
  if (gemm_choice != Gemm::kBlas && (n <= kernel->narrow_max || m <= kernel->narrow_max)) {
    if (kernel->narrow(n <= kernel->narrow_max ? g : t, workspace(kernel->workspace_floats))) return;
  }
#ifdef MTL_HAVE_OPENBLAS
  if (gemm_choice == Gemm::kBlas || (gemm_choice == Gemm::kAuto && prefer_blas(active))) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.f, a,
                lda, b, ldb, beta, c, ldc);
    return;
  }
#endif
  // Cᵀ = op(B)ᵀ·op(A)ᵀ when that pads the register tiles less (n small against NR).
  const int64_t work = round_up(m, kernel->mr) * round_up(n, kernel->nr);
  const int64_t swapped = round_up(n, kernel->mr) * round_up(m, kernel->nr);
  if (swapped * 5 < work * 4) g = t;
  kernel->run(g, workspace(kernel->workspace_floats));
}

const char* gemm_isa() { return active->isa; }

const GemmKernel* gemm_active_kernel() { return active; }

bool set_gemm_isa(const char* isa) {
  const GemmKernel* k = usable(isa);
  if (k == nullptr) return false;
  active = k;
  return true;
}

std::string gemm_isas_compiled() {
  std::string out;
  for (const char* isa : kIsas) {
    if (compiled(isa) == nullptr) continue;
    if (!out.empty()) out += ",";
    out += isa;
  }
  return out;
}

std::string gemm_isas_usable() {
  std::string out;
  for (const char* isa : kIsas) {
    if (usable(isa) == nullptr) continue;
    if (!out.empty()) out += ",";
    out += isa;
  }
  return out;
}

bool have_blas() {
#ifdef MTL_HAVE_OPENBLAS
  return true;
#else
  return false;
#endif
}

const char* gemm_choice_name() {
  switch (gemm_choice) {
    case Gemm::kOwn: return "own";
    case Gemm::kBlas: return "openblas";
    default: return "auto";
  }
}

bool set_gemm_choice(const char* name) {
  if (std::strcmp(name, "own") == 0) gemm_choice = Gemm::kOwn;
#ifdef MTL_HAVE_OPENBLAS
  else if (std::strcmp(name, "openblas") == 0) gemm_choice = Gemm::kBlas;
  else if (std::strcmp(name, "auto") == 0) gemm_choice = Gemm::kAuto;
#endif
  else return false;
  return true;
}

}  // namespace mtl
