import { MtlError, closest } from '../errors.js';
import { equalWeighting } from './equal.js';
import type { WeightingMethod } from './method.js';
import { staticWeighting } from './static.js';

/** Every task-balancing method by its registry name. */
export const weightingMethods: Record<string, WeightingMethod<any, any>> = {
  equal: equalWeighting,
  static: staticWeighting,
};

/** Look up a method by name; an unknown name throws an MtlError with the list and a did-you-mean hint. */
export function getWeightingMethod(name: string): WeightingMethod<any, any> {
  const method = weightingMethods[name];
  if (!method) {
    const names = Object.keys(weightingMethods);
    const near = closest(name, names);
    throw new MtlError({
      code: 'weighting.unknown_method',
      path: 'weighting.method',
      expected: `one of [${names.join(', ')}]`,
      found: `"${name}"`,
      fix: near ? `did you mean "${near}"?` : 'pick one of the listed methods',
    });
  }
  return method;
}
