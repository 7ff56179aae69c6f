import { expect } from 'chai';
import { defaultNumberManagerConfig, NumberManagerConfig } from '../../src/config/number-manager';
import { withAccountOverrides } from '../../src/config/account-overrides';
import {
  availableFeatures,
  deniedFeatures,
  FeaturePolicy,
  featurePolicy,
  providerModule,
  refuseUnavailableFeatures,
  requestedFeatures,
} from '../../src/lifecycle/feature-permissions';
import type { NumberRecord } from '../../src/documents/types';
import { fixtureNumber } from '../helpers/kazoo-roles';

const SYSTEM_POLICY = featurePolicy(defaultNumberManagerConfig());
const EXTERNAL = ['cnam', 'e911', 'inbound_cnam', 'mms', 'outbound_cnam', 'port', 'sms'];

function policyWith(change: (config: NumberManagerConfig) => void): FeaturePolicy {
  const config = defaultNumberManagerConfig();
  change(config);
  return featurePolicy(config);
}

describe('lifecycle: feature allow/deny (providers.md §3, knm_providers:list_available_features/1)', () => {
  it('carrier_name is available with system or master authority, not the reseller (knm_rename_carrier_tests)', () => {
    const number = fixtureNumber('+15551233322');
    expect(availableFeatures(number, SYSTEM_POLICY, true)).to.include('carrier_name');
    expect(availableFeatures(number, SYSTEM_POLICY, false)).to.not.include('carrier_name');
  });

  for (const id of ['+15551233322', '+15551233324', '+18122154006', '+14122065197']) {
    it(`force_outbound is available on ${id} whoever asks (knm_force_outbound_tests)`, () => {
      for (const admin of [true, false]) expect(availableFeatures(fixtureNumber(id), SYSTEM_POLICY, admin)).to.include('force_outbound');
    });
  }

  it('a local number may not have the external features, nor failover unless trunkstore uses it', () => {
    const local = fixtureNumber('+15551233322');
    expect(deniedFeatures(local, SYSTEM_POLICY, true)).to.deep.equal([...EXTERNAL, 'failover'].sort());
    const trunkstore = fixtureNumber('+12156774700');
    expect(deniedFeatures(trunkstore, SYSTEM_POLICY, true)).to.deep.equal(EXTERNAL);
    expect(availableFeatures(trunkstore, SYSTEM_POLICY, false)).to.deep.equal(['failover', 'force_outbound', 'prepend', 'ringback']);
  });

  it('local_feature_override lifts the local restriction; a non-local number has none', () => {
    const override = policyWith((config) => (config.local_feature_override = true));
    expect(deniedFeatures(fixtureNumber('+15551233322'), override, true)).to.deep.equal(['failover']);
    expect(deniedFeatures(fixtureNumber('+18122154006'), SYSTEM_POLICY, true)).to.deep.equal(['failover']);
  });

  it('an unassigned number may never have the external features, whatever features.deny says', () => {
    const noDeny = policyWith((config) => (config.features.deny = []));
    expect(deniedFeatures(fixtureNumber('+19162154006'), noDeny, true)).to.deep.equal([...EXTERNAL, 'failover'].sort());
  });

  it("any features.deny, even [], switches the local restriction off; a reseller's value wins over the system's", () => {
    const system = defaultNumberManagerConfig();
    system.features.deny = ['prepend'];
    const reseller = featurePolicy(withAccountOverrides(system, { _id: 'configs_number_manager', features: { deny: [] } }).config);
    expect(deniedFeatures(fixtureNumber('+15551233322'), reseller, true)).to.deep.equal(['failover']);
    expect(deniedFeatures(fixtureNumber('+15551233322'), featurePolicy(system), true)).to.deep.equal(['failover', 'prepend']);
  });

  it("a reseller's features.allow [] allows nothing", () => {
    const reseller = featurePolicy(withAccountOverrides(defaultNumberManagerConfig(), { features: { allow: [] } }).config);
    expect(availableFeatures(fixtureNumber('+18122154006'), reseller, true)).to.deep.equal([]);
  });

  it("the number's own lists replace the rest: pvt_features_denied drops the failover and local parts, legacy names are mapped", () => {
    const local: NumberRecord = { ...fixtureNumber('+15551233322'), featuresDenied: ['wnm_dash_e911'], featuresAllowed: ['knm_cnam_notifier', 'e911', 'failover'] };
    expect(deniedFeatures(local, SYSTEM_POLICY, false)).to.deep.equal(['carrier_name', 'e911']);
    expect(availableFeatures(local, SYSTEM_POLICY, false)).to.deep.equal(['cnam', 'failover']);
  });

  it('requested = public root keys and active features, without local and im', () => {
    const record: NumberRecord = {
      ...fixtureNumber('+15551233322'),
      publicFields: { e911: { street_address: '1 Main' }, my_key: 1, local: true },
      features: { local: {}, im: {}, prepend: { enabled: true } },
    };
    expect(requestedFeatures(record)).to.deep.equal(['e911', 'prepend']);
  });

  it('the CNAM and E911 families go to the configured provider only for a held number', () => {
    const held = fixtureNumber('+15551233322');
    const unassigned = fixtureNumber('+19162154006');
    expect(['cnam', 'inbound_cnam', 'e911', 'prepend', 'port', 'ringback'].map((f) => providerModule(f, held, SYSTEM_POLICY))).to.deep.equal([
      'knm_cnam_notifier',
      'knm_cnam_notifier',
      'knm_dash_e911',
      'knm_prepend',
      'knm_port_notifier',
      'ringback',
    ]);
    expect(providerModule('e911', unassigned, SYSTEM_POLICY)).to.equal('e911');
  });

  it('refuses (403) a requested feature the number may not have, but lets sms/mms through silently', () => {
    const local = fixtureNumber('+15551233322');
    const withE911 = { ...local, publicFields: { e911: { street_address: '1 Main' } } };
    expect(refuseUnavailableFeatures(withE911, SYSTEM_POLICY, true)?.toJSON()).to.deep.equal({
      code: 403,
      error: 'forbidden',
      message: 'requestor is unauthorized to perform operation',
    });
    expect(refuseUnavailableFeatures({ ...local, publicFields: { sms: { enabled: true } } }, SYSTEM_POLICY, true)).to.equal(undefined);
    expect(refuseUnavailableFeatures({ ...local, publicFields: { prepend: { enabled: true } } }, SYSTEM_POLICY, false)).to.equal(undefined);
    expect(refuseUnavailableFeatures({ ...local, publicFields: { carrier_name: 'telnyx' } }, SYSTEM_POLICY, false)?.code).to.equal(403);
    expect(refuseUnavailableFeatures({ ...local, publicFields: { carrier_name: 'telnyx' } }, SYSTEM_POLICY, true)).to.equal(undefined);
  });

  it('a number holding a feature it may no longer have fails every save (fixture +13977031887: local with cnam)', () => {
    expect(refuseUnavailableFeatures(fixtureNumber('+13977031887'), SYSTEM_POLICY, true)?.code).to.equal(403);
    expect(refuseUnavailableFeatures(fixtureNumber('+13977031888'), SYSTEM_POLICY, true)).to.equal(undefined);
  });
});
