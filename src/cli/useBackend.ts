import { selectBackend, type BackendPreference, type SelectedBackend } from '../backend/selectBackend.js';
import type { CommandContext, OptionSpec } from './command.js';

/** The `--backend` option shared by the commands that compute. */
export const BACKEND_OPTION: OptionSpec = {
  type: 'string',
  value: 'NAME',
  description: 'auto | native | wasm | cpu | tensorflow | webgpu (default: $MTL_BACKEND, else auto)',
};

/**
 * Activate the backend a command computes on and say which in one short line
 * (`backend: native CPU path`); `--verbose` prints the selection in full (what was
 * skipped and why, hints). Commands call this after their arguments and inputs are
 * checked, so a failing command prints its error, not a backend line first.
 */
export async function useBackend(context: CommandContext): Promise<SelectedBackend> {
  let full = '';
  const backend = await selectBackend(context.values.backend as BackendPreference | undefined, { log: (line) => (full = line) });
  context.log(context.verbose ? full : `backend: ${backend.description}`);
  return backend;
}
