import { expect } from 'chai';
import type { JsonObject } from '../../src/documents/json';
import type { NumberRecord } from '../../src/documents/types';
import { KnmError } from '../../src/errors';
import type { FeatureProvider } from '../../src/providers/provider';
import { providerFor } from '../../src/providers/registry';
import { deleteFeatures, failedModule, runsNoProvider, saveFeatures } from '../../src/providers/run';
import { fixtureNumber } from '../helpers/kazoo-roles';
import { recordingContext } from './context';

async function refusal(run: Promise<unknown>): Promise<KnmError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof KnmError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** Kazoo's Telnyx fixture in service for its reseller. */
function telnyx(publicFields: JsonObject = {}): NumberRecord {
  return { ...fixtureNumber('+14352154006'), state: 'in_service', publicFields };
}

describe('providers: knm_providers save/delete (providers.md §4)', () => {
  describe('knm_rename_carrier (knm_rename_carrier_tests)', () => {
    const cases: [string, string][] = [
      ['telnyx', 'knm_telnyx'],
      ['bandwidth', 'knm_bandwidth2'],
      ['wnm_vitelity', 'knm_vitelity'],
    ];
    for (const [value, module] of cases) {
      it(`carrier_name "${value}" by an admin → ${module}, the request gone`, async () => {
        const saved = await saveFeatures(telnyx({ carrier_name: value, my_key: 1 }), recordingContext());
        expect(saved.moduleName).to.equal(module);
        expect(saved.publicFields).to.deep.equal({ my_key: 1 });
      });
    }
    it('"local" → knm_local with the local feature', async () => {
      const saved = await saveFeatures(telnyx({ carrier_name: 'local' }), recordingContext());
      expect(saved.moduleName).to.equal('knm_local');
      expect(saved.features).to.have.property('local');
    });
    it('an unknown carrier is invalid (400), naming the value', async () => {
      for (const value of ['wrong_carrier', 'blabla']) {
        const error = await refusal(saveFeatures(telnyx({ carrier_name: value }), recordingContext()));
        expect(error.toJSON()).to.deep.equal({ code: 400, error: 'invalid', message: 'invalid', cause: `'${value}' is not known by the system` });
        expect(failedModule(error)).to.equal('knm_rename_carrier');
      }
    });
    it('a reseller may not rename (403 forbidden)', async () => {
      const error = await refusal(saveFeatures(telnyx({ carrier_name: 'telnyx' }), recordingContext({ authBy: 'account0000000000000000000000002', isAdmin: false })));
      expect(error.toJSON()).to.deep.include({ code: 403, error: 'forbidden' });
    });
    it('renaming a Vitelity number to local strips its CNAM (public and features) and keeps prepend; to bandwidth keeps both', async () => {
      const vitelity = fixtureNumber('+18122154006');
      const local = await saveFeatures({ ...vitelity, publicFields: { ...vitelity.publicFields, carrier_name: 'local' } }, recordingContext());
      expect(local.publicFields).to.not.have.property('cnam');
      expect(Object.keys(local.features).sort()).to.deep.equal(['local', 'prepend']);
      const bandwidth = await saveFeatures({ ...vitelity, publicFields: { ...vitelity.publicFields, carrier_name: 'bandwidth' } }, recordingContext());
      expect(bandwidth.publicFields).to.have.property('cnam');
      expect(Object.keys(bandwidth.features).sort()).to.deep.equal(['inbound_cnam', 'outbound_cnam', 'prepend']);
    });
  });

  it('refuses e911 on a local number (403, attempt_setting_e911_on_disallowed_local_number)', async () => {
    const local = fixtureNumber('+15551233322');
    const error = await refusal(saveFeatures({ ...local, publicFields: { e911: { street_address: '1 Main St' } } }, recordingContext({ isAdmin: false, authBy: 'account0000000000000000000000002' })));
    expect(error.toJSON()).to.deep.equal({ code: 403, error: 'forbidden', message: 'requestor is unauthorized to perform operation' });
  });

  it('drops sms/mms that are not offered without an error, and drops the deprecated im', async () => {
    const saved = await saveFeatures({ ...telnyx({ sms: { enabled: true } }), features: { im: {} } }, recordingContext());
    expect(saved.features).to.deep.equal({});
  });

  it('knows the numbers it would give back untouched: no feature requested or active, none deprecated', async () => {
    const plain = { ...telnyx(), features: { local: {} } };
    expect(runsNoProvider(plain)).to.equal(true);
    expect(await saveFeatures(plain, recordingContext(), () => undefined)).to.equal(plain);
    expect(runsNoProvider(telnyx({ prepend: { enabled: true, name: 'Sales' } }))).to.equal(false);
    expect(runsNoProvider({ ...telnyx(), features: { failover: { e164: '+14158867900' } } })).to.equal(false);
    const deprecated = { ...telnyx(), features: { im: {} } };
    expect(runsNoProvider(deprecated)).to.equal(false);
    expect((await saveFeatures(deprecated, recordingContext())).features).to.deep.equal({});
  });

  it('runs each requested provider once, in module-name order; a module knm lacks (ringback) is skipped', async () => {
    const order: string[] = [];
    const tracing = (module: string): FeatureProvider => ({
      module,
      reachesOutside: false,
      save: async (record) => {
        order.push(`save ${module}`);
        return record;
      },
      delete: async (record) => {
        order.push(`delete ${module}`);
        return record;
      },
    });
    const lookup = (module: string): FeatureProvider | undefined => (providerFor(module) === undefined ? undefined : tracing(module));
    const number = { ...telnyx({ prepend: { enabled: true }, force_outbound: true, ringback: { early: 'x' }, cnam: { display_name: 'A' } }), features: { port: {} } };
    await saveFeatures(number, recordingContext(), lookup);
    expect(order).to.deep.equal(['save knm_cnam_notifier', 'save knm_force_outbound', 'save knm_port_notifier', 'save knm_prepend']);
    order.length = 0;
    await deleteFeatures(number, recordingContext(), lookup);
    expect(order).to.deep.equal(['delete knm_cnam_notifier', 'delete knm_force_outbound', 'delete knm_port_notifier', 'delete knm_prepend']);
  });

  it('the configured CNAM provider serves cnam, with knm_ added to its name', async () => {
    const seen: string[] = [];
    const lookup = (module: string): FeatureProvider | undefined =>
      module === 'knm_telnyx_cnam' ? { module, reachesOutside: true, save: async (record) => (seen.push(module), record), delete: async (record) => record } : undefined;
    const context = recordingContext();
    await saveFeatures(telnyx({ cnam: { display_name: 'A' } }), { ...context, config: { ...context.config, cnam_provider: 'telnyx_cnam' } }, lookup);
    expect(seen).to.deep.equal(['knm_telnyx_cnam']);
  });
});
