/**
 * The lines of a run folder's `metrics.jsonl` as the report reads them. The report
 * depends on the file format only, never on the training code, so these types are its
 * own: every field the reader does not need is optional, unknown record types are
 * skipped, and a damaged file yields what it still holds plus a note of what was lost.
 */

/** One task's evaluation on the held-out split at an epoch's end. */
export interface LoggedTaskEvaluation {
  loss?: number;
  metrics: Record<string, number>;
  examples?: number;
}

/** `type: 'epoch'`: the end of an epoch (mean training loss per task, weights, evaluation, timing). */
export interface EpochLine {
  type: 'epoch';
  /** 0-based epoch index. */
  epoch: number;
  /** Optimisation steps done when the epoch ended. */
  step: number;
  learningRate?: number;
  trainLoss: Record<string, number>;
  weights: Record<string, number>;
  evaluation?: Record<string, LoggedTaskEvaluation>;
  seconds?: number;
  stepsPerSecond?: number;
}

/** `type: 'diagnostics'`: Gramian-based figures logged every `training.diagnosticsEvery` steps. */
export interface DiagnosticsLine {
  type: 'diagnostics';
  step: number;
  epoch: number;
  weights: Record<string, number>;
  /** Per task: the norm of its gradient on the shared parameters (or representation). */
  gradientNorms: Record<string, number>;
  /** Per task pair `a~b`: the cosine between the two tasks' gradients. */
  cosines: Record<string, number>;
}

/** One softmax gate's mean weights over a batch (MMoE, PLE). */
export interface LoggedGate {
  /** `task:<name>` or `shared`. */
  gate: string;
  /** PLE's extraction level (0 for MMoE). */
  level: number;
  experts: string[];
  weights: number[];
}

/** One cross-stitch unit's T×T mixing matrix (row t: how task t's next input mixes the tasks' activations). */
export interface LoggedStitch {
  layer: string;
  tasks: string[];
  matrix: number[][];
}

/** `type: 'architecture'`: what an architecture's own parameters say at an epoch's end (gate usage, stitch weights). */
export interface ArchitectureLine {
  type: 'architecture';
  epoch: number;
  step: number;
  gates?: LoggedGate[];
  stitches?: LoggedStitch[];
}

/** What a metrics.jsonl holds, and what could not be read. */
export interface MetricsLog {
  epochs: EpochLine[];
  diagnostics: DiagnosticsLine[];
  architecture: ArchitectureLine[];
  /** Human-readable notes about lines that were cut short or unreadable. */
  problems: string[];
}

/** An empty log (a run whose metrics.jsonl is absent). */
export function emptyMetricsLog(): MetricsLog {
  return { epochs: [], diagnostics: [], architecture: [], problems: [] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The finite-number entries of an object (JSON writes NaN and Infinity as null: those entries are dropped). */
function numbers(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isRecord(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'number' && Number.isFinite(x)) out[k] = x;
  return out;
}

const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function epochLine(r: Record<string, unknown>): EpochLine | undefined {
  const epoch = finite(r.epoch);
  if (epoch === undefined) return undefined;
  let evaluation: Record<string, LoggedTaskEvaluation> | undefined;
  if (isRecord(r.evaluation)) {
    evaluation = {};
    for (const [task, e] of Object.entries(r.evaluation)) {
      if (!isRecord(e)) continue;
      const loss = finite(e.loss);
      const examples = finite(e.examples);
      evaluation[task] = { metrics: numbers(e.metrics), ...(loss !== undefined ? { loss } : {}), ...(examples !== undefined ? { examples } : {}) };
    }
  }
  const optional = (key: 'learningRate' | 'seconds' | 'stepsPerSecond') => {
    const v = finite(r[key]);
    return v === undefined ? {} : { [key]: v };
  };
  return {
    type: 'epoch',
    epoch,
    step: finite(r.step) ?? 0,
    trainLoss: numbers(r.trainLoss),
    weights: numbers(r.weights),
    ...(evaluation ? { evaluation } : {}),
    ...optional('learningRate'),
    ...optional('seconds'),
    ...optional('stepsPerSecond'),
  };
}

function diagnosticsLine(r: Record<string, unknown>): DiagnosticsLine | undefined {
  const step = finite(r.step);
  if (step === undefined) return undefined;
  return { type: 'diagnostics', step, epoch: finite(r.epoch) ?? 0, weights: numbers(r.weights), gradientNorms: numbers(r.gradientNorms), cosines: numbers(r.cosines) };
}

function architectureLine(r: Record<string, unknown>): ArchitectureLine | undefined {
  const epoch = finite(r.epoch);
  if (epoch === undefined) return undefined;
  const gates = Array.isArray(r.gates)
    ? r.gates.filter(isRecord).flatMap((g): LoggedGate[] => {
        const experts = Array.isArray(g.experts) ? g.experts.map(String) : [];
        const weights = Array.isArray(g.weights) ? g.weights.map((w) => (typeof w === 'number' ? w : NaN)) : [];
        return typeof g.gate === 'string' && experts.length === weights.length && experts.length > 0
          ? [{ gate: g.gate, level: finite(g.level) ?? 0, experts, weights }]
          : [];
      })
    : undefined;
  const stitches = Array.isArray(r.stitches)
    ? r.stitches.filter(isRecord).flatMap((s): LoggedStitch[] => {
        const tasks = Array.isArray(s.tasks) ? s.tasks.map(String) : [];
        const matrix = Array.isArray(s.matrix) ? s.matrix.map((row) => (Array.isArray(row) ? row.map((x) => (typeof x === 'number' ? x : NaN)) : [])) : [];
        const square = matrix.length === tasks.length && matrix.every((row) => row.length === tasks.length);
        return typeof s.layer === 'string' && tasks.length > 0 && square ? [{ layer: s.layer, tasks, matrix }] : [];
      })
    : undefined;
  return { type: 'architecture', epoch, step: finite(r.step) ?? 0, ...(gates ? { gates } : {}), ...(stitches ? { stitches } : {}) };
}

/**
 * Parse the text of a metrics.jsonl. A last line without its newline that is not valid
 * JSON is a line being written (or cut off when the run was killed): it is left out with
 * a note. A damaged line in the middle is left out with a note naming its line number.
 * Lines of unknown types are skipped silently (newer writers may add types).
 */
export function parseMetricsLog(text: string, source = 'metrics.jsonl'): MetricsLog {
  const log = emptyMetricsLog();
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text.length === 0;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const last = index === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      log.problems.push(
        last && !complete
          ? `${source}: the last line (line ${index + 1}) is cut short, from a run still writing it or one stopped while writing: left out`
          : `${source}: line ${index + 1} is not valid JSON: left out`,
      );
      return;
    }
    if (!isRecord(value)) {
      log.problems.push(`${source}: line ${index + 1} is not a JSON object: left out`);
      return;
    }
    const parsed = value.type === 'epoch' ? epochLine(value) : value.type === 'diagnostics' ? diagnosticsLine(value) : value.type === 'architecture' ? architectureLine(value) : null;
    if (parsed === undefined) log.problems.push(`${source}: line ${index + 1} (type "${String(value.type)}") lacks its epoch or step: left out`);
    else if (parsed?.type === 'epoch') log.epochs.push(parsed);
    else if (parsed?.type === 'diagnostics') log.diagnostics.push(parsed);
    else if (parsed?.type === 'architecture') log.architecture.push(parsed);
  });
  return log;
}
