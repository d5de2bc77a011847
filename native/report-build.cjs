// Run by the install script after node-gyp: loads the freshly built addon, prints one
// line saying which kernels it was built with and will run on this CPU, and writes
// the same (and the details) to build/mtl_native_build.json, since npm hides the
// output of a dependency's install script. Never fails the install.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const ISA_NAMES = { avx512: 'AVX-512', avx2: 'AVX2', portable: 'portable' };

function describe(info) {
  const isa = ISA_NAMES[info.isa] || info.isa;
  const gemm = info.blas && info.gemm !== 'own' && !(info.gemm === 'auto' && info.isa === 'avx512')
    ? `OpenBLAS, ${isa} kernels`
    : `own GEMM, ${isa}`;
  const compiled = (info.isasCompiled || '').split(',').filter(Boolean).map((i) => ISA_NAMES[i] || i).join(', ');
  const blas = info.blas ? `linked with ${info.blasConfig.split(' ').slice(0, 2).join(' ')}` : 'built without OpenBLAS';
  return { gemm, line: `tfjs-multitask native kernels: ${gemm} on this CPU (compiled: ${compiled}; ${blas})` };
}

try {
  const addon = require(join(root, 'build', 'Release', 'mtl_native.node'));
  const info = addon.info();
  const { gemm, line } = describe(info);
  console.log(line);
  writeFileSync(
    join(root, 'build', 'mtl_native_build.json'),
    JSON.stringify({ summary: line, runs: gemm, builtAt: new Date().toISOString(), node: process.version, ...info }, null, 2) + '\n',
  );
} catch (error) {
  console.warn(`tfjs-multitask: the native addon was built but could not be loaded to report on it: ${String(error).split('\n')[0]}`);
}
