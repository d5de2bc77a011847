/** The benchmarks' mean ± std over seeds: the sweep table's (src/sweep/meanStd.ts). */
export { formatMeanStd, meanStd } from '../src/sweep/meanStd.js';
