import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../../src/errors.js';
import { type BackendPreference, selectBackend } from '../../src/backend/selectBackend.js';
import { wasmKernelFixesInstalled } from '../../src/backend/wasmKernels.js';

/** An error like Node's for a module that is not installed. */
function notFound(specifier: string): Error {
  return Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/x.js`), { code: 'ERR_MODULE_NOT_FOUND' });
}

/** A module loader where tfjs-node is absent and the native path behaves as `native` says. */
function loader(native: 'missing' | 'fails' | 'works' | 'throws') {
  return async (specifier: string): Promise<unknown> => {
    if (specifier.startsWith('@tensorflow/tfjs-node')) throw notFound(specifier);
    if (specifier.endsWith('native.js')) {
      if (native === 'missing') {
        throw Object.assign(new Error(`Cannot find module '/app/src/backend/native.js' imported from /app/x.js`), {
          code: 'ERR_MODULE_NOT_FOUND',
        });
      }
      return {
        tryInstallNative: async () => {
          if (native === 'throws') throw new Error('addon crashed');
          if (native === 'fails') return { ok: false, reason: 'no compiled addon for linux-x64' };
          await tf.setBackend('cpu');
          return { ok: true, kernels: 'own GEMM, AVX-512' };
        },
      };
    }
    if (specifier === 'webgpu' || specifier.startsWith('@tensorflow/tfjs-backend-webgpu')) throw notFound(specifier);
    return import(specifier);
  };
}

function capture(): { log: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (line) => lines.push(line), lines };
}

async function rejectsWith(promise: Promise<unknown>, check: (error: MtlError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MtlError, `expected an MtlError, got ${String(error)}`);
    check(error);
    return true;
  });
}

describe("selectBackend('auto')", () => {
  test('without tfjs-node or the native path picks wasm with the fixes and says why in one line', async () => {
    const { log, lines } = capture();
    const picked = await selectBackend('auto', { log, env: {}, importModule: loader('fails') });
    assert.equal(picked.name, 'wasm');
    assert.equal(picked.tfBackend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(wasmKernelFixesInstalled());
    assert.match(picked.description, /^wasm \((no )?SIMD, \d+ threads?, tfjs-multitask kernel fixes\)$/);
    assert.deepEqual(picked.skipped, ['tfjs-node not installed', 'native path unavailable: no compiled addon for linux-x64']);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^backend: wasm \(.*tfjs-multitask kernel fixes\); tfjs-node not installed; native path unavailable: no compiled addon for linux-x64; hint: /,
    );
  });

  test('picks the native path when it installs', async () => {
    const { log, lines } = capture();
    const picked = await selectBackend(undefined, { log, env: {}, importModule: loader('works') });
    assert.equal(picked.name, 'native');
    assert.equal(picked.tfBackend, 'cpu');
    assert.match(lines[0]!, /^backend: native .*; tfjs-node not installed$/);
    // The kernels the addon runs, as tryInstallNative reports them, lead the description.
    assert.equal(picked.description, "native (own GEMM, AVX-512; tfjs backend 'cpu')");
  });

  test('tolerates a missing native module and one that throws', async () => {
    const missing = await selectBackend('auto', { log: () => {}, env: {}, importModule: loader('missing') });
    assert.equal(missing.name, 'wasm');
    assert.match(missing.skipped[1]!, /^native path unavailable: not built into this tfjs-multitask/);
    const throws = await selectBackend('auto', { log: () => {}, env: {}, importModule: loader('throws') });
    assert.equal(throws.name, 'wasm');
    assert.equal(throws.skipped[1], 'native path unavailable: addon crashed');
  });

  test("MTL_BACKEND=auto behaves like 'auto'", async () => {
    const picked = await selectBackend(undefined, { log: () => {}, env: { MTL_BACKEND: 'auto' }, importModule: loader('fails') });
    assert.equal(picked.name, 'wasm');
  });
});

describe('selectBackend with a forced backend', () => {
  test('MTL_BACKEND=cpu picks cpu and says so', async () => {
    const { log, lines } = capture();
    const picked = await selectBackend(undefined, { log, env: { MTL_BACKEND: 'cpu' }, importModule: loader('works') });
    assert.equal(picked.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.deepEqual(lines, ['backend: cpu (tfjs JavaScript kernels, slow); MTL_BACKEND=cpu']);
  });

  test('MTL_BACKEND is read case-insensitively, spaces trimmed', async () => {
    const picked = await selectBackend(undefined, { log: () => {}, env: { MTL_BACKEND: ' WASM ' } });
    assert.equal(picked.name, 'wasm');
  });

  test("'cpu' takes the native path's kernels off, so cpu means tfjs's own kernels", async () => {
    let uninstalled = 0;
    const importModule = async (specifier: string) =>
      specifier.endsWith('native.js') ? { uninstallNative: () => void uninstalled++ } : import(specifier);
    const picked = await selectBackend('cpu', { log: () => {}, env: {}, importModule });
    assert.equal(picked.name, 'cpu');
    assert.equal(uninstalled, 1);
  });

  test('the preference argument wins over MTL_BACKEND, and the log says MTL_BACKEND was ignored', async () => {
    const { log, lines } = capture();
    const picked = await selectBackend('wasm', { log, env: { MTL_BACKEND: 'cpu' } });
    assert.equal(picked.name, 'wasm');
    assert.match(lines[0]!, /forced by the code; MTL_BACKEND=cpu ignored: the code asks for 'wasm'$/);
  });

  test('an unknown MTL_BACKEND throws backend.unknown naming the variable, with a suggestion', async () => {
    await rejectsWith(selectBackend(undefined, { log: () => {}, env: { MTL_BACKEND: 'wasn' } }), (error) => {
      assert.equal(error.code, 'backend.unknown');
      assert.equal(error.path, 'MTL_BACKEND');
      assert.equal(error.found, "'wasn'");
      assert.match(error.expected, /'auto', 'tensorflow', 'native', 'wasm', 'cpu', 'webgpu'/);
      assert.match(error.fix ?? '', /did you mean 'wasm'\?/);
    });
  });

  test('an unknown preference argument throws backend.unknown naming the argument', async () => {
    await rejectsWith(selectBackend('gpu' as BackendPreference, { log: () => {}, env: {} }), (error) => {
      assert.equal(error.code, 'backend.unknown');
      assert.equal(error.path, 'selectBackend(preference)');
    });
  });

  test('MTL_BACKEND=tensorflow without tfjs-node throws backend.unavailable with the fix', async () => {
    await rejectsWith(
      selectBackend(undefined, { log: () => {}, env: { MTL_BACKEND: 'tensorflow' }, importModule: loader('works') }),
      (error) => {
        assert.equal(error.code, 'backend.unavailable');
        assert.equal(error.path, 'MTL_BACKEND');
        assert.match(error.expected, /MTL_BACKEND=tensorflow/);
        assert.equal(error.found, 'tfjs-node not installed');
        assert.match(error.fix ?? '', /npm install @tensorflow\/tfjs-node/);
        assert.match(error.message, /^MTL_BACKEND: expected .* found tfjs-node not installed\. Fix: /);
      },
    );
  });

  test("selectBackend('native') when the native path fails throws, naming the option and the reason", async () => {
    await rejectsWith(selectBackend('native', { log: () => {}, env: {}, importModule: loader('fails') }), (error) => {
      assert.equal(error.code, 'backend.unavailable');
      assert.equal(error.path, 'selectBackend(preference)');
      assert.match(error.found, /no compiled addon for linux-x64/);
    });
  });

  test("selectBackend('webgpu') without its packages throws with the install fix", async () => {
    await rejectsWith(selectBackend('webgpu', { log: () => {}, env: {}, importModule: loader('fails') }), (error) => {
      assert.equal(error.code, 'backend.unavailable');
      assert.match(error.fix ?? '', /libvulkan1/);
    });
  });

  test('with the real module loader, the default resolves to a working backend', async () => {
    const picked = await selectBackend(undefined, { log: () => {}, env: {} });
    assert.ok(['tensorflow', 'native', 'wasm'].includes(picked.name), picked.name);
    const sum = tf.tidy(() => tf.tensor1d([1, 2, 3]).sum().dataSync()[0]);
    assert.equal(sum, 6);
  });
});
