import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { runFacts } from '../buildReport.js';
import { figureHtml, factsHtml, problemsHtml } from '../reportPage.js';
import { renderAll } from '../renderFigure.js';
import { findRunFolders } from '../reportInputs.js';
import { runFigures } from '../runFigures.js';
import { readRun, type RunData } from '../runFolder.js';

/** The files whose size and time say whether a run folder changed. */
const WATCHED = ['config.json', 'metrics.jsonl', 'summary.json', 'policy.json', 'affinity.json', 'grouping.json'];

/** A cheap fingerprint of a run folder: size and modification time of the files the report reads. */
export function runSignature(dir: string): string {
  const parts: string[] = [];
  const add = (path: string) => {
    try {
      const s = statSync(path);
      parts.push(`${path}:${s.size}:${s.mtimeMs}`);
    } catch {
      parts.push(`${path}:-`);
    }
  };
  for (const f of WATCHED) add(join(dir, f));
  const baselines = join(dir, 'baselines');
  if (existsSync(baselines)) {
    try {
      for (const e of readdirSync(baselines, { withFileTypes: true })) if (e.isDirectory()) add(join(baselines, e.name, 'metrics.jsonl'));
    } catch {
      // a folder being replaced: the next poll sees it
    }
  }
  return parts.join('|');
}

/** A run as the dashboard page shows it: its facts, problems and rendered figures as HTML. */
export interface RunView {
  /** The run folder relative to the runs folder, with `/` separators. */
  path: string;
  name: string;
  status: RunData['status'];
  epochs: number;
  plannedEpochs?: number;
  factsHtml: string;
  problemsHtml: string;
  figures: { id: string; title: string; html: string }[];
}

/** The path of `dir` below `root`, with `/` separators ('' for the root itself). */
export function relativePath(root: string, dir: string): string {
  return relative(root, dir).split(sep).join('/');
}

/** Read a run folder and render its figures for the page. */
export async function runView(root: string, dir: string): Promise<RunView> {
  const run = readRun(dir);
  const figures = await renderAll(runFigures(run));
  return {
    path: relativePath(root, dir),
    name: run.name,
    status: run.status,
    epochs: run.log.epochs.length,
    ...(run.config?.training?.epochs !== undefined ? { plannedEpochs: run.config.training.epochs } : {}),
    factsHtml: factsHtml(runFacts(run, [run])),
    problemsHtml: problemsHtml(run.problems),
    figures: figures.map((f) => ({ id: f.id, title: f.title, html: figureHtml(f) })),
  };
}

/** One entry of the runs list. */
export interface RunListEntry {
  path: string;
  name: string;
  status: RunData['status'];
  epochs: number;
  plannedEpochs?: number;
  modified: number;
}

/**
 * The runs below a folder, each read again only when its files changed since the last
 * call (a cache keyed by the folder's {@link runSignature}).
 */
export class RunList {
  private readonly cache = new Map<string, { signature: string; entry: RunListEntry }>();

  constructor(private readonly root: string) {}

  list(): RunListEntry[] {
    const folders = findRunFolders(this.root, 4);
    const seen = new Set(folders);
    for (const key of this.cache.keys()) if (!seen.has(key)) this.cache.delete(key);
    return folders
      .map((dir) => {
        const signature = runSignature(dir);
        const cached = this.cache.get(dir);
        if (cached && cached.signature === signature) return cached.entry;
        const run = readRun(dir);
        const entry: RunListEntry = {
          path: relativePath(this.root, dir),
          name: run.name,
          status: run.status,
          epochs: run.log.epochs.length,
          ...(run.config?.training?.epochs !== undefined ? { plannedEpochs: run.config.training.epochs } : {}),
          modified: run.modified,
        };
        this.cache.set(dir, { signature, entry });
        return entry;
      })
      .sort((a, b) => b.modified - a.modified || a.path.localeCompare(b.path));
  }
}
