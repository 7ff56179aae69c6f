/**
 * knm_rename_carrier (providers.md §7.4): an admin's public `carrier_name` moves the number to that carrier
 * module (`local` comes or goes with it) and is removed from the document: a one-shot request.
 */
import { carrierFor } from '../carriers/registry';
import { canonicalModuleName } from '../documents/read';
import { ALL_CARRIER_MODULES, type NumberRecord } from '../documents/types';
import { KnmError } from '../errors';
import { unauthorized } from '../lifecycle/errors';
import { withModule } from '../lifecycle/update';
import { withoutPublic } from './feature-record';
import type { FeatureProvider, ProviderContext } from './provider';

const REQUEST = 'carrier_name';
const KNOWN_MODULES: ReadonlySet<string> = new Set(ALL_CARRIER_MODULES);

function save(record: NumberRecord, context: ProviderContext): NumberRecord {
  const value = record.publicFields[REQUEST];
  if (value === undefined) return record;
  if (!context.isAdmin) throw unauthorized('only system or a super-duper admin may change a number\'s carrier');
  const name = typeof value === 'string' ? value : JSON.stringify(value);
  const module = canonicalModuleName(`knm_${name.replace(/^(?:knm_|wnm_)+/, '')}`);
  // Kazoo accepts any loadable Erlang module (even knm_gen_carrier); knm accepts the carriers Kazoo ships.
  if (!KNOWN_MODULES.has(module) && carrierFor(module) === undefined) {
    throw new KnmError('invalid', 400, 'invalid', {
      cause: `'${name}' is not known by the system`,
      hint: `give a carrier Kazoo knows (${[...KNOWN_MODULES].map((known) => known.slice('knm_'.length)).join(', ')})`,
    });
  }
  return withoutPublic(withModule(record, module), REQUEST);
}

export const knmRenameCarrier: FeatureProvider = {
  module: 'knm_rename_carrier',
  reachesOutside: false,
  save: async (record, context) => save(record, context),
  delete: async (record) => record,
};
