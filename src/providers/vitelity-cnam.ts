/**
 * knm_vitelity_cnam (providers.md §7.8, carrier-protocols.md §4.5; 4.3 src/providers/knm_vitelity_cnam.erl): a changed
 * public `cnam.display_name` is listed with `cmd=lidb` (then a `cnam_request` notice), and `cnam.inbound_lookup`
 * is applied with `cmd=cnamenable` / `cmd=cnamdisable`. Settings and credentials are the carrier's
 * (`number_manager.vitelity` `api_uri`, `login`, `pass`, or KNM_VITELITY_*).
 */
import { toNpan } from '../carriers/us';
import { text } from '../carriers/xml';
import type { NumberRecord } from '../documents/types';
import {
  cnamRequestNotice,
  hasCnamFeature,
  INBOUND_CNAM,
  INBOUND_LOOKUP,
  LEGACY_CNAM,
  OUTBOUND_CNAM,
  provisionedDisplayName,
  requestedDisplayName,
  wantsInboundLookup,
} from './cnam-features';
import { activateFeature, deactivateFeatures, HttpProviderOptions, isProvisionedState, providerSettings } from './feature-record';
import type { FeatureProvider, ProviderContext } from './provider';
import { vitelityCommand, vitelityFault } from './vitelity';

const MODULE = 'knm_vitelity_cnam';
const SETTINGS = 'vitelity';
const HINT = 'check the cnam settings and the Vitelity account (system_config/number_manager.vitelity login and pass), then save the number again';

export function createVitelityCnamProvider(options: HttpProviderOptions = {}): FeatureProvider {
  /** handle_outbound_cnam/1: `lidb` must answer status ok and `<response>ok</response>`. */
  async function outbound(record: NumberRecord, context: ProviderContext): Promise<NumberRecord> {
    const name = requestedDisplayName(record);
    if (name === undefined) return deactivateFeatures(record, OUTBOUND_CNAM);
    if (name === provisionedDisplayName(record)) return record;
    // As read: a dry run records the bare name, not {"display_name": …}.
    if (context.dryRun) return activateFeature(record, OUTBOUND_CNAM, name);
    const settings = providerSettings(context, SETTINGS);
    const answer = await vitelityCommand(settings, [['cmd', 'lidb'], ['did', toNpan(record.number)], ['name', name], ['xml', 'yes']], options, 'invalid_resp_format');
    if (!answer.ok) throw vitelityFault(settings, record.number, answer.reason, HINT);
    const response = text(answer.content, 'response');
    if (response !== 'ok') throw vitelityFault(settings, record.number, response ?? 'resp_tag_not_found', HINT);
    const feature = { display_name: name };
    await context.notify(cnamRequestNotice(record, context, feature));
    return activateFeature(record, OUTBOUND_CNAM, feature);
  }

  /**
   * handle_inbound_cnam/1. As read (kept): it has no change detection, so every save sends `cnamenable` or
   * `cnamdisable`. Kazoo hands the `cnamenable` answer to its XML scanner as a binary and so most likely always
   * fails there (carrier-protocols.md §4.5); knm reads the answer like every other Vitelity answer.
   */
  async function inbound(record: NumberRecord, context: ProviderContext): Promise<NumberRecord> {
    const wanted = wantsInboundLookup(record);
    if (!context.dryRun) {
      const settings = providerSettings(context, SETTINGS);
      if (wanted) {
        const answer = await vitelityCommand(settings, inboundQuery(record, 'cnamenable'), options, 'invalid_resp_server');
        if (!answer.ok) throw vitelityFault(settings, record.number, answer.reason, HINT);
      } else {
        await disableInbound(context, record);
      }
    }
    return wanted ? activateFeature(record, INBOUND_CNAM, { inbound_lookup: true }) : deactivateFeatures(record, INBOUND_CNAM, INBOUND_LOOKUP);
  }

  /** `cnamdisable`, whose answer Kazoo does not read. */
  async function disableInbound(context: ProviderContext, record: NumberRecord): Promise<void> {
    await vitelityCommand(providerSettings(context, SETTINGS), inboundQuery(record, 'cnamdisable'), options, 'invalid_resp_server');
  }

  return {
    module: MODULE,
    reachesOutside: true,

    async save(record, context) {
      if (!isProvisionedState(record.state)) return record;
      return inbound(await outbound(record, context), context);
    },

    // Not gated by dry run (knm_vitelity_cnam:delete/1). Kazoo disables on every delete; knm only when the number
    // has a CNAM feature to remove.
    async delete(record, context) {
      if (!hasCnamFeature(record)) return record;
      await disableInbound(context, record);
      return deactivateFeatures(record, INBOUND_CNAM, OUTBOUND_CNAM, LEGACY_CNAM);
    },
  };
}

export const vitelityCnamProvider: FeatureProvider = createVitelityCnamProvider();

function inboundQuery(record: NumberRecord, cmd: string): [string, string][] {
  return [['did', toNpan(record.number)], ['cmd', cmd], ['xml', 'yes']];
}
