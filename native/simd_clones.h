// MTL_VECTOR_CLONES: compiles a function twice, for the baseline x86-64 (SSE2) and for
// AVX2, and picks the version at load time (GCC/Clang target_clones, an ifunc), so the
// addon's element-wise loops run 8 floats per instruction where the CPU can. AVX2
// without FMA: the compiler cannot contract a·b + c into one rounding, so both
// versions compute exactly the same floats as the scalar loops they vectorise (the
// tfjs kernels' arithmetic). Elsewhere (not x86-64 Linux) it expands to nothing.
#pragma once

#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define MTL_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef MTL_VECTOR_CLONES
#define MTL_VECTOR_CLONES
#endif
