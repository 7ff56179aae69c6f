/**
 * knm_carriers:check/1 (crossbar `POST /phone_numbers/check`, carriers.md §2.5): asks each carrier of the
 * system `carrier_modules` about the numbers. A carrier that answers contributes its statuses; one that cannot
 * (every carrier but knm_other: `not_implemented`) marks the numbers `"error"`; answers win over errors.
 */
import type { Carrier, CarrierContext } from './carrier';
import { carrierFor } from './registry';

export async function checkNumbers(
  numbers: readonly string[],
  carrierModules: readonly string[],
  context: CarrierContext,
  lookup: (module: string) => Carrier | undefined = carrierFor,
): Promise<Record<string, string>> {
  const unique = [...new Set(numbers)];
  if (unique.length === 0) return {};
  const errors: Record<string, string> = {};
  const statuses: Record<string, string> = {};
  for (const module of carrierModules) {
    const carrier = lookup(module);
    if (carrier === undefined) continue;
    const result = carrier.checkNumbers === undefined ? undefined : await carrier.checkNumbers(unique, context).catch(() => undefined);
    if (result?.ok === true) Object.assign(statuses, result.statuses);
    else for (const number of unique) errors[number] = 'error';
  }
  return { ...errors, ...statuses };
}
