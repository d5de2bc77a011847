import type { ExperimentConfig } from './config.js';

/** Placeholder, replaced below. */
export function checkMemory(config: ExperimentConfig): void {
  void config;
}
export function checkInferenceMemory(config: ExperimentConfig, inputShape: readonly number[], batch: number): void {
  void config; void inputShape; void batch;
}
