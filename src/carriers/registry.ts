/**
 * Every carrier module knm offers, by Kazoo module name. Adding a carrier is adding its file and a line here.
 * A module name with no carrier here (`knm_pacwest`, `blipblop`) is kept on the number, and acquire and
 * disconnect skip it, as Kazoo does for a module that does not exist (FACTS §5).
 */
import type { Carrier } from './carrier';
import { knmInum } from './knm_inum';
import { knmInventory } from './knm_inventory';
import { knmLocal } from './knm_local';
import { knmManaged } from './knm_managed';
import { knmMdn } from './knm_mdn';
import { knmReserved } from './knm_reserved';
import { knmReservedReseller } from './knm_reserved_reseller';

const CARRIERS: readonly Carrier[] = [knmLocal, knmInventory, knmManaged, knmMdn, knmInum, knmReserved, knmReservedReseller];

const BY_MODULE: ReadonlyMap<string, Carrier> = new Map(CARRIERS.map((carrier) => [carrier.module, carrier]));

export function carrierFor(module: string): Carrier | undefined {
  return BY_MODULE.get(module);
}

export function carrierModules(): string[] {
  return [...BY_MODULE.keys()];
}
