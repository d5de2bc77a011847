import { z } from 'zod';
import { experimentSchema } from '../experiment/config.js';

/**
 * Walking the experiment schema by dotted path (`weighting.method`,
 * `training.optimizer.learningRate`, `model.options.experts`), so that an override can
 * be checked, parsed and named before any trial is built. Arrays of named objects
 * (`tasks`) are addressed by element name or index: `tasks.left.head.dropout`.
 */

/** What the schema says about one path: the schema there, or that it is free (a record value, `z.unknown()`). */
export type PathNode = { kind: 'schema'; schema: z.ZodTypeAny } | { kind: 'free' };

/** Strip optional/default/effects wrappers. */
export function unwrapSchema(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodEffects || s instanceof z.ZodNullable) {
    s = s instanceof z.ZodEffects ? s.innerType() : (s._def.innerType as z.ZodTypeAny);
  }
  return s;
}

/** The keys an object-like schema accepts (the union of a discriminated union's options), or undefined when it is not object-like. */
export function keysOfSchema(schema: z.ZodTypeAny): string[] | undefined {
  const s = unwrapSchema(schema);
  if (s instanceof z.ZodObject) return Object.keys(s.shape);
  if (s instanceof z.ZodDiscriminatedUnion) {
    return [...new Set((s.options as z.ZodObject<z.ZodRawShape>[]).flatMap((o) => Object.keys(o.shape)))];
  }
  return undefined;
}

/** The child schema of `schema` at `key`: an object's field, a union option's field, a record's value, an array's element. */
export function childNode(node: PathNode, key: string): PathNode | undefined {
  if (node.kind === 'free') return node;
  const s = unwrapSchema(node.schema);
  if (s instanceof z.ZodObject) {
    const child = (s.shape as Record<string, z.ZodTypeAny>)[key];
    return child ? { kind: 'schema', schema: child } : undefined;
  }
  if (s instanceof z.ZodDiscriminatedUnion) {
    for (const option of s.options as z.ZodObject<z.ZodRawShape>[]) {
      const child = (option.shape as Record<string, z.ZodTypeAny>)[key];
      if (child) return { kind: 'schema', schema: child };
    }
    return undefined;
  }
  if (s instanceof z.ZodRecord) {
    const value = unwrapSchema(s.valueSchema as z.ZodTypeAny);
    return value instanceof z.ZodUnknown || value instanceof z.ZodAny ? { kind: 'free' } : { kind: 'schema', schema: value };
  }
  if (s instanceof z.ZodArray) return { kind: 'schema', schema: s.element as z.ZodTypeAny };
  if (s instanceof z.ZodUnknown || s instanceof z.ZodAny) return { kind: 'free' };
  return undefined;
}

/** Whether the schema is an array of objects with a `name` (elements addressed by name). */
export function isNamedArray(node: PathNode): boolean {
  if (node.kind === 'free') return false;
  const s = unwrapSchema(node.schema);
  return s instanceof z.ZodArray && (keysOfSchema(s.element as z.ZodTypeAny) ?? []).includes('name');
}

/** Whether the schema accepts only text (a string, a string enum or literal): a `--set` value there is taken as written. */
export function acceptsOnlyText(node: PathNode): boolean {
  if (node.kind === 'free') return false;
  const s = unwrapSchema(node.schema);
  if (s instanceof z.ZodString || s instanceof z.ZodEnum) return true;
  if (s instanceof z.ZodLiteral) return typeof s.value === 'string';
  if (s instanceof z.ZodUnion) return (s.options as z.ZodTypeAny[]).every((o) => acceptsOnlyText({ kind: 'schema', schema: o }));
  return false;
}

/** The experiment schema's root, as a path node. */
export const ROOT: PathNode = { kind: 'schema', schema: experimentSchema };

/**
 * Every field path of the experiment schema (array elements as `*`, record values
 * not listed), e.g. `weighting.method`, `tasks.*.head.dropout`. The tests check the
 * fixed table of short trial-folder names (shortFieldNames.ts) against it.
 */
export function schemaFieldPaths(node: PathNode = ROOT, prefix = ''): string[] {
  if (node.kind === 'free') return [];
  const s = unwrapSchema(node.schema);
  const keys = keysOfSchema(s);
  if (keys) {
    return keys.flatMap((k) => {
      const path = prefix ? `${prefix}.${k}` : k;
      const child = childNode(node, k)!;
      return [path, ...schemaFieldPaths(child, path)];
    });
  }
  if (s instanceof z.ZodArray) return schemaFieldPaths({ kind: 'schema', schema: s.element as z.ZodTypeAny }, `${prefix}.*`);
  return [];
}
