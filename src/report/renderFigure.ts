import * as vega from 'vega';
import { compile } from 'vega-lite';
import { MtlError } from '../errors.js';
import type { Figure } from './figure.js';

/** Escape text for an XML/HTML attribute or text node. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Render a figure to a standalone SVG string: Vega-Lite compiles the spec to Vega,
 * Vega renders it headless (no browser, no canvas: text widths are estimated). Element
 * ids inside the SVG (clip paths, gradients) are prefixed with the figure's id, so that
 * many SVGs can be inlined in one page without their ids colliding. The SVG carries
 * the figure's title as its accessible name.
 */
export async function renderSvg(fig: Figure): Promise<string> {
  const warnings: string[] = [];
  const logger = {
    level(): number {
      return 0;
    },
    error(...args: readonly unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    warn(...args: readonly unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  let view: vega.View | undefined;
  try {
    const compiled = compile(fig.spec, { logger: logger as never }).spec;
    view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
    const svg = await view.toSVG();
    return label(prefixIds(svg, fig.id), fig.title);
  } catch (error) {
    throw new MtlError({
      code: 'report.render_failed',
      path: `figure ${fig.id}`,
      expected: 'a Vega-Lite spec that renders',
      found: (error as Error).message.split('\n')[0]!,
      fix: 'this is a bug in the report: please report it with the run folder',
    });
  } finally {
    view?.finalize();
  }
}

function prefixIds(svg: string, prefix: string): string {
  const p = prefix.replace(/[^A-Za-z0-9_-]/g, '_');
  return svg.replace(/\bid="([^"]+)"/g, `id="${p}__$1"`).replace(/url\(#([^)]+)\)/g, `url(#${p}__$1)`).replace(/href="#([^"]+)"/g, `href="#${p}__$1"`);
}

function label(svg: string, title: string): string {
  return svg.replace(/^<svg /, `<svg role="img" aria-label="${escapeXml(title)}" `);
}

/** A rendered figure: the figure and its SVG. */
export interface RenderedFigure extends Figure {
  svg: string;
}

/** Render figures one after another (Vega's dataflow is single-threaded anyway). */
export async function renderAll(figures: readonly Figure[]): Promise<RenderedFigure[]> {
  const out: RenderedFigure[] = [];
  for (const f of figures) out.push({ ...f, svg: await renderSvg(f) });
  return out;
}
