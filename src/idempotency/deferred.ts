import { valueSources, Values } from '../database/statement';

/**
 * A value that is slow to compute by design (a password hash): the executor computes it only in
 * the key's turn, once the key turns out to hold no answer, so a retry never pays for it.
 */
export class Deferred<T = unknown> {
  constructor(readonly compute: () => Promise<T>) {}
}

/** Whether any of `values` is still to be computed. */
export const hasDeferred = (values: Values) =>
  valueSources(values).some((source) =>
    Object.values(source).some((value) => value instanceof Deferred),
  );

/** `values` with every Deferred computed. */
export async function resolveDeferred(values: Values): Promise<Values> {
  if (!hasDeferred(values)) return values;
  return Promise.all(valueSources(values).map(resolveSource));
}

async function resolveSource(source: object): Promise<object> {
  const entries = Object.entries(source).map(async ([name, value]) => [
    name,
    value instanceof Deferred ? await value.compute() : value,
  ]);
  return Object.fromEntries(await Promise.all(entries)) as object;
}
