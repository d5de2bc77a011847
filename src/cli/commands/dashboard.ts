import { MtlError } from '../../errors.js';
import type { Command, CommandContext } from '../command.js';

/** Default port of `mtl dashboard` (the same as `startDashboard`'s). */
const DEFAULT_DASHBOARD_PORT = 6060;

/** A port number option (0–65535; 0 picks a free port), or the default. */
function portOption(values: CommandContext['values']): number {
  const raw = values.port;
  if (raw === undefined) return DEFAULT_DASHBOARD_PORT;
  const text = String(raw).trim();
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n > 65535) {
    throw new MtlError({ code: 'cli.bad_option', path: '--port', expected: 'a port number from 0 to 65535 (0: any free port)', found: JSON.stringify(raw), fix: `e.g. --port ${DEFAULT_DASHBOARD_PORT}` });
  }
  return n;
}

/** `mtl dashboard`: a local, read-only web page of the runs in a folder, live while they train. */
export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'serve a live web page of the runs in a folder (read-only; 127.0.0.1 by default)',
  usage: `mtl dashboard [runs folder] [--port N] [--host H]`,
  description:
    'Serves a page that lists the run folders below the folder (runs/ by default) and shows the selected run\'s figures\n' +
    '(the same as mtl report\'s), updated while it trains without reloading the page. Read-only: it never writes into a run\n' +
    'folder, and serves nothing outside the folder. Listens on 127.0.0.1 (this machine only) unless --host says otherwise.\n' +
    'Stop it with Ctrl-C.',
  positionals: { min: 0, max: 1, names: 'a folder of runs', example: 'mtl dashboard runs' },
  options: {
    port: { type: 'string', value: 'N', description: `TCP port (default ${DEFAULT_DASHBOARD_PORT}; 0: any free port)` },
    host: { type: 'string', value: 'H', description: 'interface to listen on (default 127.0.0.1; 0.0.0.0 makes it reachable from other machines)' },
  },
  examples: ['mtl dashboard', 'mtl dashboard runs --port 8080', 'mtl dashboard runs/table-multimnist --port 0'],
  async run(context) {
    const runsDir = context.positionals[0] ?? 'runs';
    const host = (context.values.host as string | undefined) ?? '127.0.0.1';
    // Loaded on use: Vega is not needed by the other commands.
    const { startDashboard } = await import('../../report/dashboard/dashboardServer.js');
    const dashboard = await startDashboard({ runsDir, port: portOption(context.values), host });
    context.log(`dashboard: ${dashboard.url}  (runs in ${runsDir}; read-only; Ctrl-C to stop)`);
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') context.log(`note: listening on ${host}: other machines that reach it can read these runs`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void dashboard.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
