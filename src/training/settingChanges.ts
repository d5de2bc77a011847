/**
 * Settings changed in the middle of a run (a run resumed with `--learning-rate` or
 * `--epochs`): from `step` on (the first step taken with it), `setting` is `new`
 * instead of `old`. A trainer given the current values and the list of changes knows
 * the value at every step, so a run that was resumed with a change is reproduced by a
 * fresh run given the same list.
 */
export interface SettingChange {
  step: number;
  setting: 'learningRate' | 'epochs';
  old: number;
  new: number;
}

/**
 * The value of a setting at `step`, given its current value (after every change) and
 * the changes in the order they were made.
 *
 * @example
 * settingAt(0.001, [{ step: 40, setting: 'learningRate', old: 0.01, new: 0.001 }], 'learningRate', 39); // 0.01
 */
export function settingAt(current: number, changes: readonly SettingChange[] | undefined, setting: SettingChange['setting'], step: number): number {
  let value = current;
  const list = changes ?? [];
  for (let i = list.length - 1; i >= 0; i--) {
    const c = list[i]!;
    if (c.setting === setting && c.step > step) value = c.old;
  }
  return value;
}
