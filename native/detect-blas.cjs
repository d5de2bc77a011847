// Prints the BLAS the native addon is built with, for binding.gyp: "openblas" when
// pkg-config finds OpenBLAS, else "none" (the addon then uses its own GEMM only).
// MTL_NATIVE_BLAS=none (or =openblas) forces the answer, e.g. to test the build a
// machine without libopenblas-dev gets: MTL_NATIVE_BLAS=none npm rebuild.
'use strict';
const { spawnSync } = require('node:child_process');

const forced = (process.env.MTL_NATIVE_BLAS || '').trim().toLowerCase();
if (forced === 'none' || forced === 'openblas') {
  process.stdout.write(forced);
} else {
  const found = spawnSync('pkg-config', ['--exists', 'openblas'], { stdio: 'ignore' });
  process.stdout.write(found.status === 0 ? 'openblas' : 'none');
}
