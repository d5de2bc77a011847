import { MtlError, closest } from '../errors.js';
import { alignedMtl } from './alignedMtl.js';
import { alignedMtlUpperBound } from './alignedMtlUb.js';
import { conflictAverseGradient } from './cagrad.js';
import { dualBalancing } from './dbMtl.js';
import { dynamicWeightAverage } from './dwa.js';
import { equalWeighting } from './equal.js';
import { excessRiskWeighting } from './excessMtl.js';
import { fairGrad } from './fairGrad.js';
import { fastAdaptiveMultitaskOptimization } from './famo.js';
import { geometricLossStrategy } from './gls.js';
import { gradientSignDropout } from './gradDrop.js';
import { gradientNormalization } from './gradNorm.js';
import { gradientVaccine } from './gradVac.js';
import { impartialMultitask } from './imtl.js';
import { impartialGradient } from './imtlG.js';
import { impartialLossScaling } from './imtlL.js';
import type { WeightingMethod } from './method.js';
import { multipleGradientDescent } from './mgda.js';
import { mgdaUpperBound } from './mgdaUb.js';
import { moco } from './moco.js';
import { multiObjectiveDoubleSampling } from './moDo.js';
import { nashMtl } from './nashMtl.js';
import { projectingConflictingGradients } from './pcgrad.js';
import { randomLossWeighting } from './rlw.js';
import { stochasticDirectionOriented } from './sdmGrad.js';
import { staticWeighting } from './static.js';
import { smoothTchebycheff } from './stch.js';
import { uncertaintyWeighting } from './uncertainty.js';
import { upgrad } from './upgrad.js';

// Each method is typed by its own state and options; the registry erases them (the
// trainer only passes back what resolveOptions/init/update returned).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMethod = WeightingMethod<any, any>;

const all: readonly AnyMethod[] = [
  equalWeighting,
  staticWeighting,
  randomLossWeighting,
  dynamicWeightAverage,
  geometricLossStrategy,
  smoothTchebycheff,
  uncertaintyWeighting,
  impartialLossScaling,
  fastAdaptiveMultitaskOptimization,
  gradientNormalization,
  multipleGradientDescent,
  mgdaUpperBound,
  projectingConflictingGradients,
  conflictAverseGradient,
  impartialGradient,
  impartialMultitask,
  nashMtl,
  fairGrad,
  alignedMtl,
  alignedMtlUpperBound,
  upgrad,
  gradientVaccine,
  stochasticDirectionOriented,
  multiObjectiveDoubleSampling,
  dualBalancing,
  moco,
  gradientSignDropout,
  excessRiskWeighting,
];

/** Every task-balancing method by its registry name (as written in experiment files). */
export const weightingMethods: Record<string, AnyMethod> = Object.fromEntries(all.map((m) => [m.name, m]));

/**
 * The weighting method registered under `name`; throws an MtlError
 * (`weighting.unknown_method`) listing the known names, with a did-you-mean hint.
 *
 * @example
 * getWeightingMethod('mgda').needs; // → 'gramian'
 */
export function getWeightingMethod(name: string): AnyMethod {
  const method = Object.prototype.hasOwnProperty.call(weightingMethods, name) ? weightingMethods[name] : undefined;
  if (method) return method;
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
