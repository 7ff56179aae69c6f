/** Option shapes shared by the commands, each refusing a bad value with one line naming the option and the value. */
import { UsageError } from './output';

/** A whole-number option of at least `min`: `--quantity abc` is refused as "abc", not as yargs' NaN. */
export function integerOption(name: string, min: number, defaultValue: number, describe: string, max = Number.MAX_SAFE_INTEGER) {
  return {
    type: 'string',
    default: defaultValue,
    describe,
    coerce: (value: unknown): number => {
      const text = String(value).trim();
      const parsed = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
        const range = max !== Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}` : min === 0 ? 'an integer ≥ 0' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
        throw new UsageError(`--${name} must be ${range}, not ${JSON.stringify(String(value))}`);
      }
      return parsed;
    },
  } as const;
}
