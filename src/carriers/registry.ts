/**
 * Every carrier module knm offers, by Kazoo module name. Adding a carrier is adding its file and a line here.
 * A module name with no carrier here (`knm_pacwest`, `blipblop`) is kept on the number, and acquire and
 * disconnect skip it, as Kazoo does for a module that does not exist (FACTS §5); a search drops it, as
 * knm_carriers:keep_only_reachable/1 does.
 */
import type { Carrier } from './carrier';
import { knmBandwidth } from './knm_bandwidth';
import { createBandwidth2 } from './knm_bandwidth2';
import { knmInum } from './knm_inum';
import { knmInventory } from './knm_inventory';
import { knmLocal } from './knm_local';
import { knmManaged } from './knm_managed';
import { knmMdn } from './knm_mdn';
import { createOther } from './knm_other';
import { knmReserved } from './knm_reserved';
import { knmReservedReseller } from './knm_reserved_reseller';
import { createTelnyx } from './knm_telnyx';
import { createVitelity } from './knm_vitelity';
import { createVoipInnovations } from './knm_voip_innovations';

const CARRIERS: readonly Carrier[] = [
  knmLocal,
  knmInventory,
  knmManaged,
  knmMdn,
  knmInum,
  knmReserved,
  knmReservedReseller,
  createTelnyx(),
  createVitelity(),
  createVoipInnovations(),
  createBandwidth2(),
  createOther(),
  knmBandwidth,
];

const BY_MODULE: ReadonlyMap<string, Carrier> = new Map(CARRIERS.map((carrier) => [carrier.module, carrier]));

export function carrierFor(module: string): Carrier | undefined {
  return BY_MODULE.get(module);
}

export function carrierModules(): string[] {
  return [...BY_MODULE.keys()];
}
