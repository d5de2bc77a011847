import type { Metric, MetricAccumulator } from './task.js';

/**
 * Accuracy. Multiclass (label width 1, output width k > 1): argmax of the predictions
 * equals the label. Binary / multilabel: each probability thresholded at 0.5 equals
 * the 0/1 label (for multilabel, the mean over labels: Hamming accuracy).
 */
export const accuracy: Metric = {
  name: 'accuracy',
  direction: 'higher',
  create(): MetricAccumulator {
    let correct = 0;
    let total = 0;
    return {
      update(labels, predictions, mask, width, outputWidth) {
        const n = mask.length;
        for (let i = 0; i < n; i++) {
          if (mask[i] === 0) continue;
          if (width === 1 && outputWidth > 1) {
            let best = 0;
            for (let k = 1; k < outputWidth; k++) {
              if (predictions[i * outputWidth + k]! > predictions[i * outputWidth + best]!) best = k;
            }
            correct += best === labels[i] ? 1 : 0;
            total += 1;
          } else {
            for (let k = 0; k < width; k++) {
              const predicted = predictions[i * outputWidth + k]! >= 0.5 ? 1 : 0;
              correct += predicted === labels[i * width + k] ? 1 : 0;
              total += 1;
            }
          }
        }
      },
      result: () => (total === 0 ? NaN : correct / total),
    };
  },
};

function errorMetric(name: string, direction: 'lower', perElement: (d: number) => number, finish: (m: number) => number): Metric {
  return {
    name,
    direction,
    create(): MetricAccumulator {
      let sum = 0;
      let count = 0;
      return {
        update(labels, predictions, mask, width) {
          for (let i = 0; i < mask.length; i++) {
            if (mask[i] === 0) continue;
            for (let k = 0; k < width; k++) {
              sum += perElement(predictions[i * width + k]! - labels[i * width + k]!);
              count += 1;
            }
          }
        },
        result: () => (count === 0 ? NaN : finish(sum / count)),
      };
    },
  };
}

/** Mean squared error over all labelled elements. */
export const meanSquaredError = errorMetric('mse', 'lower', (d) => d * d, (m) => m);
/** Root mean squared error. */
export const rootMeanSquaredError = errorMetric('rmse', 'lower', (d) => d * d, Math.sqrt);
/** Mean absolute error. */
export const meanAbsoluteError = errorMetric('mae', 'lower', Math.abs, (m) => m);

/**
 * Area under the ROC curve (binary; for multilabel the macro average over labels that
 * have both classes). Computed exactly from the rank statistic, ties counted half.
 */
export const auc: Metric = {
  name: 'auc',
  direction: 'higher',
  create(): MetricAccumulator {
    const scores: number[][] = [];
    const positives: number[][] = [];
    return {
      update(labels, predictions, mask, width, outputWidth) {
        for (let k = 0; k < width; k++) {
          scores[k] ??= [];
          positives[k] ??= [];
          for (let i = 0; i < mask.length; i++) {
            if (mask[i] === 0) continue;
            scores[k]!.push(predictions[i * outputWidth + k]!);
            positives[k]!.push(labels[i * width + k]!);
          }
        }
      },
      result() {
        const values: number[] = [];
        for (let k = 0; k < scores.length; k++) {
          const value = rocAuc(scores[k]!, positives[k]!);
          if (!Number.isNaN(value)) values.push(value);
        }
        return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
      },
      undefinedReason() {
        const n = scores[0]?.length ?? 0;
        if (n === 0) return 'no labelled examples';
        if (scores.length === 1) {
          const positive = positives[0]!.filter((y) => y >= 0.5).length;
          return `only one class among the ${n} labelled examples (${positive === 0 ? 'all negative' : 'all positive'}): AUC needs both`;
        }
        return `no label has both classes among the ${n} labelled examples: AUC needs both`;
      },
    };
  },
};

/** Exact ROC AUC of scores against 0/1 labels (Mann-Whitney U with midranks); NaN if one class is absent. */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positive = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midrank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]! >= 0.5) {
        positive += 1;
        rankSum += midrank;
      }
    }
    i = j + 1;
  }
  const negative = order.length - positive;
  if (positive === 0 || negative === 0) return NaN;
  return (rankSum - (positive * (positive + 1)) / 2) / (positive * negative);
}

/**
 * F1 score for binary / multilabel predictions thresholded at 0.5: micro-averaged over
 * all labelled (example, label) pairs.
 */
export const f1: Metric = {
  name: 'f1',
  direction: 'higher',
  create(): MetricAccumulator {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    return {
      update(labels, predictions, mask, width, outputWidth) {
        for (let i = 0; i < mask.length; i++) {
          if (mask[i] === 0) continue;
          for (let k = 0; k < width; k++) {
            const p = predictions[i * outputWidth + k]! >= 0.5;
            const y = labels[i * width + k]! >= 0.5;
            if (p && y) tp++;
            else if (p) fp++;
            else if (y) fn++;
          }
        }
      },
      result: () => (tp + fp + fn === 0 ? NaN : (2 * tp) / (2 * tp + fp + fn)),
      undefinedReason: () => 'no positive label and no positive prediction: F1 is 0/0',
    };
  },
};

/** Every built-in metric by name. */
export const METRICS: Record<string, Metric> = {
  accuracy,
  auc,
  f1,
  mse: meanSquaredError,
  rmse: rootMeanSquaredError,
  mae: meanAbsoluteError,
};
