import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getWeightingMethod, weightingMethods } from '../../src/weighting/registry.js';
import { MtlError } from '../../src/errors.js';
import { gramianOf } from '../../src/linalg/matrix.js';
import { randomRows } from '../linalg/assertions.js';
import { contextFor } from './helpers.js';
import { methodStateFromJson, methodStateToJson } from '../../src/weighting/stateJson.js';

const expectedNames = [
  'equal', 'static', 'rlw', 'dwa', 'gls', 'stch', 'uncertainty', 'imtl-l', 'famo', 'gradnorm', 'mgda', 'mgda-ub',
  'pcgrad', 'cagrad', 'imtl-g', 'imtl', 'nash-mtl', 'fairgrad', 'aligned-mtl', 'aligned-mtl-ub', 'upgrad', 'gradvac',
  'sdmgrad', 'modo', 'db-mtl', 'moco', 'graddrop', 'excess-mtl',
];

test('registry: every method under its own name, with a description and consistent capabilities', () => {
  assert.deepEqual(Object.keys(weightingMethods).sort(), [...expectedNames].sort());
  for (const [name, method] of Object.entries(weightingMethods)) {
    assert.equal(method.name, name);
    assert.ok(method.description.length > 20, name);
    assert.ok(['losses', 'gramian', 'gradients'].includes(method.needs), name);
    assert.equal(method.gradientModes.length === 0, method.needs === 'losses', `${name}: gradient modes vs needs`);
  }
});

test('registry: unknown names and options are coded errors with a did-you-mean', () => {
  assert.equal(getWeightingMethod('mgda').needs, 'gramian');
  assert.throws(() => getWeightingMethod('mgdb'), (e: unknown) => e instanceof MtlError && e.code === 'weighting.unknown_method' && /"mgda"/.test(e.fix ?? ''));
  assert.throws(() => getWeightingMethod('toString'), (e: unknown) => e instanceof MtlError);
  for (const method of Object.values(weightingMethods)) {
    assert.throws(
      () => method.resolveOptions({ notAnOption: 1 }, contextFor(2)),
      (e: unknown) => e instanceof MtlError && e.code === 'weighting.unknown_option',
      method.name,
    );
  }
});

test('registry: every method is pure with JSON state: replaying a JSON copy of the state gives the same output', () => {
  const toJson = (state: unknown) => JSON.stringify(methodStateToJson(state));
  for (const method of Object.values(weightingMethods)) {
    for (const t of [2, 3]) {
      const context = contextFor(t, 3);
      const options = method.resolveOptions(undefined, context);
      let state = method.init(context, options);
      for (let step = 0; step < 3; step++) {
        const rows = randomRows(50 + step, t, 4);
        const input = {
          losses: rows.map((_, i) => 0.5 + i),
          ...(method.needs !== 'losses' ? { gramian: gramianOf(rows) } : {}),
          ...(method.needs === 'gradients' ? { gradients: rows.map((r) => Float32Array.from(r)) } : {}),
          epoch: step,
          step,
        };
        const frozen = toJson(state);
        const copy = methodStateFromJson(JSON.parse(frozen));
        const out = method.update(input, state, options);
        assert.equal(toJson(state), frozen, `${method.name}: update mutated its input state`);
        assert.deepEqual(method.update(input, copy, options), out, `${method.name}: not reproducible from a JSON copy`);
        assert.equal(out.weights.length, t);
        assert.ok(out.weights.every(Number.isFinite), `${method.name}: ${out.weights}`);
        if (out.direction) assert.equal(out.direction.length, 4);
        assert.deepEqual(methodStateFromJson(JSON.parse(toJson(out.state))), out.state, `${method.name}: state does not survive JSON`);
        state = out.state;
        if (method.endEpoch) state = method.endEpoch([1, 2, 3].slice(0, t), state, options);
        if (method.afterStep) state = method.afterStep({ before: input.losses, after: input.losses.map((l) => l * 0.9) }, state, options);
      }
    }
  }
});

test('registry: a gramian or gradients method without its input is a coded error naming it', () => {
  for (const method of Object.values(weightingMethods)) {
    if (method.needs === 'losses') continue;
    const context = contextFor(2);
    const options = method.resolveOptions(undefined, context);
    const code = method.needs === 'gramian' ? 'weighting.missing_gramian' : 'weighting.missing_gradients';
    assert.throws(
      () => method.update({ losses: [1, 1], gramian: method.needs === 'gradients' ? [[1, 0], [0, 1]] : [[1]], epoch: 0, step: 0 }, method.init(context, options), options),
      (e: unknown) => e instanceof MtlError && e.code === code && e.path.includes(method.name),
      method.name,
    );
  }
  assert.throws(
    () => weightingMethods['gls']!.update({ losses: [1, NaN], epoch: 0, step: 0 }, null, {}),
    (e: unknown) => e instanceof MtlError && e.code === 'weighting.bad_losses',
  );
});

test('equal and static: the existing loss methods', () => {
  const equal = getWeightingMethod('equal');
  assert.deepEqual(equal.update({ losses: [5, 0.1], epoch: 0, step: 0 }, null, {}).weights, [1, 1]);
  const fixed = getWeightingMethod('static');
  const options = fixed.resolveOptions({ weights: { t1: 0.25 } }, contextFor(2));
  assert.deepEqual(fixed.update({ losses: [5, 0.1], epoch: 0, step: 0 }, null, options).weights, [1, 0.25]);
});

test('registry: methods that take logs or ratios of losses refuse a negative loss with a coded error naming it', () => {
  const needsNonNegative = ['famo', 'gradnorm', 'db-mtl', 'moco'];
  for (const name of needsNonNegative) {
    const method = weightingMethods[name]!;
    const context = contextFor(2);
    const options = method.resolveOptions(undefined, context);
    const rows = randomRows(7, 2, 4);
    const input = (losses: number[]) => ({
      losses,
      ...(method.needs !== 'losses' ? { gramian: gramianOf(rows) } : {}),
      ...(method.needs === 'gradients' ? { gradients: rows.map((r) => Float32Array.from(r)) } : {}),
      epoch: 0,
      step: 0,
    });
    const state = method.init(context, options);
    assert.throws(
      () => method.update(input([0.5, -0.25]), state, options),
      (e: unknown) => e instanceof MtlError && e.code === 'weighting.negative_loss' && e.path === `weighting.${method.name}.update(input.losses[1])` && /-0\.25/.test(e.found ?? ''),
      method.name,
    );
    // A zero loss is allowed (a task already at its lower bound).
    assert.doesNotThrow(() => method.update(input([0.5, 0]), state, options), method.name);
  }
  const famo = weightingMethods['famo']!;
  const famoOptions = famo.resolveOptions(undefined, contextFor(2));
  assert.throws(
    () => famo.afterStep!({ before: [1, 1], after: [0.5, -1] }, famo.init(contextFor(2), famoOptions), famoOptions),
    (e: unknown) => e instanceof MtlError && e.code === 'weighting.negative_loss',
  );
});
