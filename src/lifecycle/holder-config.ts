/**
 * The number_manager values for a number's holder (kapps_account_config:get_from_reseller/3): its reseller's
 * `configs_number_manager` over system_config; an unassigned number, or a holder that is its own reseller, reads
 * system_config only. What the feature providers and their allow/deny rules decide with.
 */
import { withAccountOverrides } from '../config/account-overrides';
import type { NumberManagerConfig } from '../config/number-manager';
import type { NumberRecord } from '../documents/types';
import { accountDbName } from '../numbers/db-names';
import type { Store } from '../store/client';
import type { AccountDirectory } from './accounts';

const RESELLER_CONFIG_DOC = 'configs_number_manager';

/** Per reseller id, its values as read once in a batch. */
export type ResellerConfigs = Map<string, Promise<NumberManagerConfig>>;

export function holderConfig(store: Store, system: NumberManagerConfig, record: NumberRecord, accounts: AccountDirectory, known: ResellerConfigs): Promise<NumberManagerConfig> {
  const holder = record.assignedTo;
  const reseller = holder === undefined ? undefined : accounts(holder)?.resellerId;
  if (reseller === undefined || reseller === holder) return Promise.resolve(system);
  let config = known.get(reseller);
  if (config === undefined) {
    config = store.getOrNull(accountDbName(reseller), RESELLER_CONFIG_DOC).then((doc) => withAccountOverrides(system, doc ?? undefined).config);
    // a failed read is not remembered: the next number of the batch reads again
    config.catch(() => known.delete(reseller));
    known.set(reseller, config);
  }
  return config;
}
