import type { TopLevelSpec } from 'vega-lite';

/** One figure of a report: a Vega-Lite spec (data inline) with its id, title and what to read in it. */
export interface Figure {
  /** Stable id, unique within a report (used for the SVG file name and the page element). */
  id: string;
  title: string;
  /** One or two sentences on how to read it. */
  caption: string;
  spec: TopLevelSpec;
}

/** Width of one chart panel, in pixels. */
export const PANEL_WIDTH = 300;
/** Height of one chart panel, in pixels. */
export const PANEL_HEIGHT = 190;

/** The look every figure shares (fonts, axes, a white background so SVG files read anywhere). */
export const FIGURE_CONFIG = {
  background: 'white',
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee', domainColor: '#888', tickColor: '#888' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start', offset: 10 },
  line: { strokeWidth: 1.8 },
  point: { size: 22, filled: true },
} as const;

/** A file-name-safe id from free text (`left · accuracy` → `left-accuracy`). */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'figure'
  );
}

/** Build a figure, adding the shared `$schema` and config to its spec. */
export function figure(id: string, title: string, caption: string, spec: Record<string, unknown>): Figure {
  return {
    id,
    title,
    caption,
    spec: { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, ...spec, config: FIGURE_CONFIG } as unknown as TopLevelSpec,
  };
}

/** A faceted chart wrapping `columns` panels per row, each with its own y scale. */
export function wrapped(values: object[], field: string, inner: Record<string, unknown>, columns = 3, sort?: string[]): Record<string, unknown> {
  return {
    data: { values },
    facet: { field, type: 'nominal', title: null, ...(sort ? { sort } : {}) },
    columns,
    spec: { width: PANEL_WIDTH, height: PANEL_HEIGHT, ...inner },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The number of points a line chart shows per series: more and the points are left off (the line is enough). */
export const MAX_POINTS_PER_SERIES = 150;
