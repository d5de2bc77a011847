import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { isNativeInstalled, nativeInfo, tryInstallNative, uninstallNative } from '../../src/backend/native.js';
import { skipNative } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'mtl-native-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs tryInstallNative in a fresh process with MTL_NATIVE_ADDON pointing at `addonPath`. */
function installWith(addonPath: string): { ok: boolean; reason?: string; backend: string } {
  const probe = `
    import * as tf from '@tensorflow/tfjs';
    import { tryInstallNative } from ${JSON.stringify(pathToFileURL(join(root, 'src/backend/native.ts')).href)};
    const result = await tryInstallNative();
    console.log(JSON.stringify({ ...result, backend: tf.getBackend() }));
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
    cwd: root, env: { ...process.env, MTL_NATIVE_ADDON: addonPath }, encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

test('without a built addon, tryInstallNative returns ok:false with a one-line reason and hint', () => {
  const result = installWith(join(tmp, 'missing.node'));
  assert.equal(result.ok, false);
  assert.match(result.reason!, /not built/);
  assert.match(result.reason!, /g\+\+/);
  assert.match(result.reason!, /npm rebuild/);
  assert.ok(!result.reason!.includes('\n'), 'one line');
});

test('a broken addon file gives ok:false, not an exception', () => {
  const broken = join(tmp, 'broken.node');
  writeFileSync(broken, 'not a shared object');
  const result = installWith(broken);
  assert.equal(result.ok, false);
  assert.match(result.reason!, /failed to load/);
});

test('install, uninstall and reinstall swap the cpu kernels and select the cpu backend', { skip: skipNative }, async () => {
  const result = await tryInstallNative({ threads: 1 });
  assert.equal(result.ok, true);
  assert.match(result.kernels!, /^(own GEMM, (AVX-512|AVX2|portable)|OpenBLAS, (AVX-512|AVX2|portable) kernels)$/);
  assert.equal(nativeInfo()!.kernels, result.kernels);
  assert.equal(tf.getBackend(), 'cpu');
  assert.ok(isNativeInstalled());
  assert.equal(nativeInfo()!.threads, 1);
  const nativeMatMul = tf.getKernel('BatchMatMul', 'cpu').kernelFunc;
  uninstallNative();
  assert.ok(!isNativeInstalled());
  assert.equal(nativeInfo(), null);
  assert.notEqual(tf.getKernel('BatchMatMul', 'cpu').kernelFunc, nativeMatMul, 'the original kernel is back');
  assert.equal((await tryInstallNative()).ok, true);
  assert.ok(isNativeInstalled());
});
