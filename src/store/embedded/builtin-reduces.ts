/**
 * CouchDB's builtin reduces, run natively as PouchDB runs them (its own are not exported from the bundle):
 * `_sum` of numbers or of number arrays (summed position by position), `_count`, `_stats`. The view engine
 * never asks for a rereduce, so none is implemented.
 */
import { BuiltInError } from 'pouchdb-mapreduce-utils';

export type BuiltinReduce = (keys: unknown, values: unknown[]) => unknown;

function notNumbers(name: string): BuiltInError {
  return new BuiltInError(`builtin ${name} function requires map values to be numbers or number arrays`);
}

function sum(values: unknown[]): number | number[] {
  let total: number | number[] = 0;
  for (const value of values) {
    if (typeof value === 'number') {
      if (typeof total === 'number') total += value;
      else total[0] += value;
      continue;
    }
    if (!Array.isArray(value)) throw notNumbers('_sum');
    const totals: number[] = typeof total === 'number' ? [total] : total;
    value.forEach((item: unknown, index) => {
      if (typeof item !== 'number') throw notNumbers('_sum');
      totals[index] = (totals[index] ?? 0) + item;
    });
    total = totals;
  }
  return total;
}

function stats(values: unknown[]): { sum: number | number[]; min: number; max: number; count: number; sumsqr: number } {
  const numbers = values as number[];
  return {
    sum: sum(values),
    min: Math.min(...numbers),
    max: Math.max(...numbers),
    count: values.length,
    sumsqr: numbers.reduce((total, value) => total + value * value, 0),
  };
}

const BUILTINS: [RegExp, BuiltinReduce][] = [
  [/^_sum/, (_keys, values) => sum(values)],
  [/^_count/, (_keys, values) => values.length],
  [/^_stats/, (_keys, values) => stats(values)],
];

/** The builtin named by `source`, undefined for a JavaScript reduce; an unknown `_name` is refused. */
export function builtinReduce(source: string): BuiltinReduce | undefined {
  const found = BUILTINS.find(([pattern]) => pattern.test(source));
  if (found !== undefined) return found[1];
  if (source.startsWith('_')) throw new Error(`${source} is not a supported reduce function.`);
  return undefined;
}
