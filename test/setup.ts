/**
 * Loaded before every test file (`node --import tsx --import ./test/setup.ts --test`):
 * activates the backend the library would pick (MTL_BACKEND, else the native path when
 * built, else wasm with the kernel fixes), so the suite runs on what users get. CI runs
 * the suite twice: on the default path and with the fallback forced.
 */
import { selectBackend } from '../src/backend/selectBackend.js';

await selectBackend(undefined, { log: () => {} });
