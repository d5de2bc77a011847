/**
 * Picks the TensorFlow.js backend tfjs-multitask trains on, and says in one log line what
 * was picked and why (DESIGN.md, "Substrate"). Order for `'auto'`:
 *
 * 1. `tensorflow`: `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, when the
 *    user installed one (never a dependency: its install downloads libtensorflow);
 * 2. `native`: tfjs-multitask's own fast CPU path (`./native.js`, optional);
 * 3. `wasm`: tfjs's wasm backend (XNNPACK, SIMD) with tfjs-multitask's kernel fixes;
 * 4. `cpu`: tfjs's plain JavaScript backend, which always works.
 *
 * `webgpu` is used only when asked for by name.
 */
import * as tf from '@tensorflow/tfjs';
import { MtlError, closest } from '../errors.js';

/** The backends {@link selectBackend} knows, plus `'auto'` (the best one available). */
export const BACKEND_PREFERENCES = ['auto', 'tensorflow', 'native', 'wasm', 'cpu', 'webgpu'] as const;

/** A backend preference: `'auto'` or one backend by name. */
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

/** A backend that {@link selectBackend} can pick. */
export type BackendName = Exclude<BackendPreference, 'auto'>;

/** The environment variable that chooses the backend when the code does not force one. */
export const BACKEND_ENV_VAR = 'MTL_BACKEND';

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Receives the one line saying what was picked and why.
   * @defaultValue `console.error` (stderr, so it never mixes with a program's output)
   */
  log?: (line: string) => void;
  /**
   * Environment to read `BACKEND_ENV_VAR` from.
   * @defaultValue `process.env`
   */
  env?: Record<string, string | undefined>;
  /**
   * Loads an optional module by specifier (`@tensorflow/tfjs-node`, `./native.js`,
   * ...). Tests and bundlers may replace it.
   * @defaultValue dynamic `import()`
   */
  importModule?: (specifier: string) => Promise<unknown>;
}

/** What {@link selectBackend} picked. */
export interface SelectedBackend {
  /** The backend picked, in {@link selectBackend}'s terms. */
  name: BackendName;
  /** The name tfjs knows the active backend by (`tf.getBackend()`). */
  tfBackend: string;
  /** A short description, e.g. `wasm (SIMD, 1 thread, tfjs-multitask kernel fixes)`. */
  description: string;
  /** Why each backend tried before this one was passed over (empty when the first try worked). */
  skipped: string[];
}

/** Outcome of trying one backend: picked, or why not (and how to fix it, where known). */
type Attempt = { ok: true; description: string } | { ok: false; reason: string; fix: string };

interface Context {
  importModule: (specifier: string) => Promise<unknown>;
}

const defaultImport = (specifier: string): Promise<unknown> => import(specifier);

/**
 * Selects and activates the tfjs backend for training.
 *
 * The preference is, in order: the `preference` argument when it names a backend;
 * else the `MTL_BACKEND` environment variable (one of `auto`, `tensorflow`,
 * `native`, `wasm`, `cpu`, `webgpu`); else `'auto'`. `'auto'` tries tfjs-node, then
 * tfjs-multitask's native path, then wasm with tfjs-multitask's kernel fixes, then cpu. A backend
 * forced by name that cannot be used throws an {@link MtlError} (code
 * `backend.unavailable`) saying what was expected, what was found and how to fix it;
 * an unknown name throws `backend.unknown`.
 *
 * @param preference - `'auto'` or a backend name. @defaultValue `MTL_BACKEND`, else `'auto'`
 * @param opts - where the log line goes, the environment, the module loader.
 * @returns the backend picked, already active (`tf.getBackend()` returns its `tfBackend`).
 * @example
 * ```ts
 * import { selectBackend } from 'tfjs-multitask';
 * const backend = await selectBackend();
 * // stderr: backend: wasm (SIMD, 1 thread, tfjs-multitask kernel fixes); tfjs-node not installed; ...
 * ```
 */
export async function selectBackend(
  preference?: BackendPreference,
  opts: SelectBackendOptions = {},
): Promise<SelectedBackend> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const env = opts.env ?? (typeof process === 'undefined' ? {} : process.env);
  const context: Context = { importModule: opts.importModule ?? defaultImport };

  const fromEnv = env[BACKEND_ENV_VAR]?.trim().toLowerCase();
  let chosen: BackendPreference;
  let source: string;
  const notes: string[] = [];
  if (preference !== undefined && preference !== 'auto') {
    chosen = checkName(preference, 'selectBackend(preference)');
    source = 'selectBackend(preference)';
    if (fromEnv && fromEnv !== preference) notes.push(`${BACKEND_ENV_VAR}=${fromEnv} ignored: the code asks for '${preference}'`);
  } else if (fromEnv) {
    chosen = checkName(fromEnv, BACKEND_ENV_VAR);
    source = BACKEND_ENV_VAR;
  } else {
    chosen = preference === undefined ? 'auto' : checkName(preference, 'selectBackend(preference)');
    source = 'selectBackend(preference)';
  }

  if (chosen !== 'auto') {
    const attempt = await ATTEMPTS[chosen](context);
    if (!attempt.ok) {
      throw new MtlError({
        code: 'backend.unavailable',
        path: source === BACKEND_ENV_VAR ? BACKEND_ENV_VAR : 'selectBackend(preference)',
        expected: `the '${chosen}' backend to be usable (${source === BACKEND_ENV_VAR ? `${BACKEND_ENV_VAR}=${chosen}` : `selectBackend('${chosen}')`})`,
        found: attempt.reason,
        fix: `${attempt.fix}; or let tfjs-multitask pick the best available backend (${BACKEND_ENV_VAR}=auto, or no preference)`,
      });
    }
    const picked = finish(chosen, attempt.description, []);
    const why = source === BACKEND_ENV_VAR ? `${BACKEND_ENV_VAR}=${chosen}` : 'forced by the code';
    log(logLine(picked, [why, ...notes]));
    return picked;
  }

  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    const attempt = await ATTEMPTS[name](context);
    if (attempt.ok) {
      const picked = finish(name, attempt.description, skipped);
      const hint = name === 'wasm' || name === 'cpu' ? [`hint: ${HINT_FASTER}`] : [];
      log(logLine(picked, [...skipped, ...notes, ...hint]));
      return picked;
    }
    skipped.push(attempt.reason);
  }
  // cpu always registers with the umbrella package; reaching here means tfjs itself is broken.
  throw new MtlError({
    code: 'backend.unavailable',
    path: 'selectBackend(preference)',
    expected: 'at least the cpu backend to initialise',
    found: skipped.join('; '),
    fix: 'reinstall @tensorflow/tfjs (npm install @tensorflow/tfjs)',
  });
}

const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'native', 'wasm', 'cpu'];

const HINT_FASTER =
  'install @tensorflow/tfjs-node for native TensorFlow (needs internet access at install), or set MTL_BACKEND to force a backend';

function finish(name: BackendName, description: string, skipped: string[]): SelectedBackend {
  return { name, tfBackend: tf.getBackend(), description, skipped: [...skipped] };
}

function logLine(picked: SelectedBackend, reasons: string[]): string {
  return [`backend: ${picked.description}`, ...reasons].join('; ');
}

function checkName(value: string, path: string): BackendPreference {
  if ((BACKEND_PREFERENCES as readonly string[]).includes(value)) return value as BackendPreference;
  const guess = closest(value, BACKEND_PREFERENCES);
  throw new MtlError({
    code: 'backend.unknown',
    path,
    expected: `one of ${BACKEND_PREFERENCES.map((b) => `'${b}'`).join(', ')}`,
    found: `'${value}'`,
    fix: guess ? `did you mean '${guess}'?` : `use one of ${BACKEND_PREFERENCES.join(', ')}`,
  });
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const firstLine = text.split('\n')[0] ?? text;
  return firstLine.length > 160 ? firstLine.slice(0, 157) + '...' : firstLine;
}

/** Whether `error` says that the module `name` itself (not one of its imports) was not found. */
function isModuleMissing(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const missing = /Cannot find (?:module|package) '([^']+)'/.exec(errorText(error))?.[1];
  return missing === undefined || missing === name || missing.startsWith(name + '/') || missing.endsWith(name);
}

/** Activates a registered tfjs backend; false (with tfjs's warning silenced) when it fails to initialise. */
async function activate(name: string): Promise<boolean> {
  if (tf.findBackendFactory(name) == null) return false;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

const ATTEMPTS: Record<BackendName, (context: Context) => Promise<Attempt>> = {
  async tensorflow({ importModule }) {
    const problems: string[] = [];
    for (const specifier of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await importModule(specifier);
      } catch (error) {
        if (!isModuleMissing(error, specifier)) problems.push(`${specifier} failed to load: ${errorText(error)}`);
        continue;
      }
      if (await activate('tensorflow')) {
        return { ok: true, description: `tensorflow (${specifier}, libtensorflow)` };
      }
      problems.push(`${specifier} loaded but the 'tensorflow' backend did not initialise`);
    }
    return {
      ok: false,
      reason: problems.length > 0 ? problems.join('; ') : 'tfjs-node not installed',
      fix: 'npm install @tensorflow/tfjs-node (its install downloads libtensorflow, so it needs internet access)',
    };
  },

  async native({ importModule }) {
    const specifier = './native.js';
    let mod: { tryInstallNative?: () => Promise<{ ok: boolean; reason?: string; kernels?: string }> };
    try {
      mod = (await importModule(new URL(specifier, import.meta.url).href)) as typeof mod;
    } catch (error) {
      const missing = isModuleMissing(error, 'native.js') || isModuleMissing(error, 'native.ts');
      return {
        ok: false,
        reason: missing ? 'native path unavailable: not built into this tfjs-multitask' : `native path unavailable: ${errorText(error)}`,
        fix: 'use a build of tfjs-multitask that includes src/backend/native.ts',
      };
    }
    if (typeof mod.tryInstallNative !== 'function') {
      return {
        ok: false,
        reason: 'native path unavailable: its module exports no tryInstallNative()',
        fix: 'use a build of tfjs-multitask whose src/backend/native.ts exports tryInstallNative()',
      };
    }
    let result: { ok: boolean; reason?: string; kernels?: string };
    try {
      result = await mod.tryInstallNative();
    } catch (error) {
      result = { ok: false, reason: errorText(error) };
    }
    if (!result.ok) {
      return {
        ok: false,
        reason: `native path unavailable: ${result.reason ?? 'no reason given'}`,
        fix: 'see the reason above; the native path needs its compiled library for this platform',
      };
    }
    // The native path either activates its backend itself or registers one named 'native'.
    if (tf.findBackendFactory('native') != null && tf.getBackend() !== 'native' && !(await activate('native'))) {
      return { ok: false, reason: "native path unavailable: its 'native' backend did not initialise", fix: 'see the log above' };
    }
    // e.g. "native (own GEMM, AVX-512; tfjs backend 'cpu')"
    const kernels = result.kernels ? `${result.kernels}; ` : '';
    return { ok: true, description: `native (${kernels}tfjs backend '${tf.getBackend()}')` };
  },

  async wasm() {
    // Loaded only when wasm is chosen: importing the wasm package registers a backend
    // that outranks cpu, which must not happen merely because tfjs-multitask was imported.
    // The wasm package is an optional peer dependency: absent, wasm is skipped with a hint.
    let wasmPackage: typeof import('@tensorflow/tfjs-backend-wasm');
    try {
      wasmPackage = await import('@tensorflow/tfjs-backend-wasm');
    } catch (error) {
      if (!isModuleMissing(error, '@tensorflow/tfjs-backend-wasm')) throw error;
      return { ok: false, reason: 'wasm: @tensorflow/tfjs-backend-wasm is not installed', fix: 'npm install @tensorflow/tfjs-backend-wasm' };
    }
    const { getThreadsCount, setWasmPaths } = wasmPackage;
    const { installWasmKernelFixes } = await import('./wasmKernels.js');
    installWasmKernelFixes();
    const paths = await pointWasmAtPackage(setWasmPaths);
    if (!(await activate('wasm'))) {
      return {
        ok: false,
        reason: `wasm did not initialise${paths ? ` (wasm files looked for in ${paths})` : ''}`,
        fix: 'check that @tensorflow/tfjs-backend-wasm is installed with its dist/*.wasm files',
      };
    }
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    const threads = getThreadsCount();
    return {
      ok: true,
      description: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}, tfjs-multitask kernel fixes)`,
    };
  },

  async cpu({ importModule }) {
    // 'cpu' means tfjs's own kernels: take the native path's kernels off if it installed them.
    try {
      const native = (await importModule(new URL('./native.js', import.meta.url).href)) as { uninstallNative?: () => void };
      native.uninstallNative?.();
    } catch {
      // No native path in this build: nothing to take off.
    }
    if (!(await activate('cpu'))) {
      return { ok: false, reason: 'cpu did not initialise', fix: 'reinstall @tensorflow/tfjs' };
    }
    return { ok: true, description: 'cpu (tfjs JavaScript kernels, slow)' };
  },

  async webgpu({ importModule }) {
    const fix =
      'npm install @tensorflow/tfjs-backend-webgpu webgpu, and in Node install libvulkan.so.1 (Debian: apt-get install libvulkan1)';
    try {
      if (typeof navigator === 'undefined' || !('gpu' in navigator)) {
        const dawn = (await importModule('webgpu')) as { create: (options: string[]) => unknown; globals: object };
        Object.assign(globalThis, dawn.globals);
        Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create([]) }, configurable: true, writable: true });
      }
      await importModule('@tensorflow/tfjs-backend-webgpu');
    } catch (error) {
      return { ok: false, reason: `webgpu unavailable: ${errorText(error)}`, fix };
    }
    if (!(await activate('webgpu'))) return { ok: false, reason: 'webgpu did not initialise (no GPU adapter?)', fix };
    return { ok: true, description: 'webgpu' };
  },
};

let wasmPathsSet: string | undefined;

/**
 * Points the wasm backend at the `.wasm` files of the installed
 * `@tensorflow/tfjs-backend-wasm` (its dist folder), once. Returns the folder, or
 * undefined outside Node (bundlers and CDNs set the paths themselves).
 */
async function pointWasmAtPackage(setWasmPaths: (prefix: string) => void): Promise<string | undefined> {
  if (wasmPathsSet !== undefined) return wasmPathsSet;
  try {
    const { createRequire } = await import('node:module');
    const path = await import('node:path');
    const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    const folder = path.dirname(entry) + path.sep;
    setWasmPaths(folder);
    wasmPathsSet = folder;
    return folder;
  } catch {
    return undefined;
  }
}
