import { expect } from 'chai';
import { readNumberDocument } from '../../src/documents/read';
import type { NumberRecord } from '../../src/documents/types';
import {
  ACQUIRE_FAILURE_MARKER,
  ACQUIRED_MARKER,
  acquiredNumber,
  featuresDigest,
  featureViews,
  PROVIDER_FAILURE_MARKER,
  purgeDecision,
  reconcile,
  reconcileDeleted,
  refusedAcquisition,
  refusedProviders,
  rememberNumber,
  type SeenNumber,
} from '../../src/pipeline/reconcile';
import { readContext } from '../documents/context';
import { fixtureDoc, RESELLER, CHILD } from './harness';

/** Kazoo's discovery fixture, read as knm reads it, then changed as a writer would. */
function number(change: Record<string, unknown> = {}, rev = '2-b'): NumberRecord {
  return readNumberDocument({ ...fixtureDoc('+14122065197'), _rev: rev, ...change }, readContext()).record;
}

const IN_DISCOVERY: SeenNumber = { state: 'discovery', rev: '1-a' };

describe('pipeline reconcile (pure)', function () {
  describe('acquisition', function () {
    const cases: [string, Record<string, unknown>, SeenNumber | undefined, boolean][] = [
      ['discovery → in_service', { pvt_state: 'in_service' }, IN_DISCOVERY, true],
      ['discovery → reserved', { pvt_state: 'reserved' }, IN_DISCOVERY, true],
      ['still in discovery', {}, IN_DISCOVERY, false],
      ['discovery → available (not a purchase)', { pvt_state: 'available' }, IN_DISCOVERY, false],
      ['in_service never seen in discovery', { pvt_state: 'in_service' }, undefined, false],
      ['in_service, seen in_service before', { pvt_state: 'in_service' }, { state: 'in_service', rev: '1-a' }, false],
      ['the same exit already bought (marker names the discovery revision)', { pvt_state: 'in_service', pvt_carrier_data: { [ACQUIRED_MARKER]: { from_rev: '1-a' } } }, IN_DISCOVERY, false],
      ['an earlier exit bought, this one not (back to discovery since)', { pvt_state: 'in_service', pvt_carrier_data: { [ACQUIRED_MARKER]: { from_rev: '0-old' } } }, IN_DISCOVERY, true],
    ];
    for (const [name, change, seen, expected] of cases) {
      it(`${name}: ${expected ? 'acquire' : 'no acquisition'}`, function () {
        const actions = reconcile(number(change), seen);
        expect(actions.some((action) => action.kind === 'acquire')).to.equal(expected);
        if (expected) expect(actions).to.deep.equal([{ kind: 'acquire', fromRev: '1-a' }]);
      });
    }

    it('the acquired document carries the order and the marker, and an earlier refusal is cleared', function () {
      const refused = refusedAcquisition(number({ pvt_state: 'in_service' }), '1-a', { code: 500, error: 'unspecified_fault' }, 100);
      expect(refused.state).to.equal('discovery');
      expect(refused.carrierData[ACQUIRE_FAILURE_MARKER]).to.deep.equal({ code: 500, error: 'unspecified_fault', from_rev: '1-a', at: 100 });
      const bought = acquiredNumber({ ...refused, state: 'in_service', carrierData: { ...refused.carrierData, order_id: 'o-1' } }, '3-c', 200);
      expect(bought.carrierData[ACQUIRE_FAILURE_MARKER]).to.equal(undefined);
      expect(bought.carrierData[ACQUIRED_MARKER]).to.deep.equal({ from_rev: '3-c', at: 200 });
      expect(bought.carrierData.order_id).to.equal('o-1');
      // Replayed with what the pipeline last saw (discovery at 3-c), the bought document asks for nothing more.
      expect(reconcile(bought, { state: 'discovery', rev: '3-c' }).some((action) => action.kind === 'acquire')).to.equal(false);
    });
  });

  describe('release', function () {
    const cases: [string, Record<string, unknown>, boolean][] = [
      ['released with a holder', { pvt_state: 'released', pvt_assigned_to: RESELLER, pvt_reserve_history: [RESELLER] }, true],
      ['released with only a history', { pvt_state: 'released', pvt_assigned_to: undefined, pvt_reserve_history: [CHILD, RESELLER] }, true],
      ['released with features left', { pvt_state: 'released', pvt_assigned_to: undefined, pvt_features: { e911: {} } }, true],
      ["released as knm_ops:release leaves it (released_state: released)", { pvt_state: 'released', pvt_assigned_to: undefined, pvt_reserve_history: [] }, false],
      ['a knm_local number released to nobody keeps only its local feature', { pvt_state: 'released', pvt_assigned_to: undefined, pvt_module_name: 'knm_local' }, false],
      ['in_service with a holder', { pvt_state: 'in_service', pvt_assigned_to: RESELLER }, false],
    ];
    for (const [name, change, expected] of cases) {
      it(`${name}: ${expected ? 'release' : 'nothing to release'}`, function () {
        expect(reconcile(number(change), undefined).some((action) => action.kind === 'release')).to.equal(expected);
      });
    }
  });

  describe('providers and what is remembered', function () {
    const runsProviders = (record: NumberRecord, seen: SeenNumber | undefined): boolean => reconcile(record, seen).some((action) => action.kind === 'providers');

    it('runs the providers on features changed since last seen, or only active; not when they are as last seen', function () {
      const withE911 = number({ pvt_state: 'in_service', e911: { street_address: 'a' }, pvt_features: { e911: { street_address: 'a' } } });
      const seenNow = rememberNumber(withE911, '2-b');
      expect(seenNow?.features).to.be.a('string').and.equal(featuresDigest(withE911));
      expect(runsProviders(withE911, seenNow)).to.equal(false);
      // Another edit of the document that leaves the features alone (a revision, used_by) runs nothing.
      expect(runsProviders({ ...withE911, usedBy: 'callflow', rev: '3-c' }, seenNow)).to.equal(false);
      expect(runsProviders(number({ pvt_state: 'in_service', e911: { street_address: 'b' }, pvt_features: { e911: { street_address: 'a' } } }), seenNow)).to.equal(true);
      expect(runsProviders(number({ pvt_state: 'in_service', pvt_features: { e911: { street_address: 'a' } } }), seenNow)).to.equal(true);
      expect(runsProviders(number({ pvt_state: 'in_service' }), seenNow)).to.equal(false);
      // Discovery numbers are not saved through knm_ops: no provider.
      expect(runsProviders(number({ cnam: { display_name: 'x' } }), undefined)).to.equal(false);
    });

    it('a number never seen gets its providers only for a request no feature records yet (Kazoo saved the others)', function () {
      // Kazoo's save ran the providers: the request is active (Vitelity keeps its reply, not the address).
      expect(runsProviders(number({ pvt_state: 'in_service', e911: { street_address: 'a' }, pvt_features: { e911: { street_address: 'a' } } }), undefined)).to.equal(false);
      expect(runsProviders(number({ pvt_state: 'in_service', e911: { street_address: 'a' }, pvt_features: { e911: { status: 'ok' } } }), undefined)).to.equal(false);
      expect(runsProviders(number({ pvt_state: 'in_service', cnam: { inbound_lookup: true }, pvt_features: { inbound_cnam: { inbound_lookup: true } } }), undefined)).to.equal(false);
      // A tool wrote the request: nothing records it yet.
      expect(runsProviders(number({ pvt_state: 'in_service', cnam: { display_name: 'x' } }), undefined)).to.equal(true);
      expect(runsProviders(number({ pvt_state: 'in_service', e911: { street_address: 'a' }, pvt_features: { prepend: { enabled: true } } }), undefined)).to.equal(true);
      // ringback has no provider to record it.
      expect(runsProviders(number({ pvt_state: 'in_service', ringback: { early: 'x' } }), undefined)).to.equal(false);
    });

    it('a refusal recorded for these very features is not tried again; a change of them is', function () {
      const asked = number({ pvt_state: 'in_service', cnam: { display_name: 'x' } });
      const refused = refusedProviders(asked, { error: { code: 403, error: 'forbidden', message: 'no' } }, 63_000_000_000);
      expect(refused.carrierData[PROVIDER_FAILURE_MARKER]).to.deep.include({ rev: '2-b', at: 63_000_000_000, features: featuresDigest(asked) });
      expect(runsProviders(refused, undefined)).to.equal(false);
      expect(runsProviders({ ...refused, publicFields: { cnam: { display_name: 'y' } } }, undefined)).to.equal(true);
    });

    it('a deleted number last seen with features gets its providers\' delete on that revision', function () {
      const seen = rememberNumber(number({ pvt_state: 'in_service', prepend: { enabled: true } }), '4-d');
      expect(reconcileDeleted(seen)).to.deep.equal([{ kind: 'providers_delete', rev: '4-d' }]);
      expect(reconcileDeleted({ state: 'in_service', rev: '4-d' })).to.deep.equal([]);
      expect(reconcileDeleted(undefined)).to.deep.equal([]);
    });

    it('the local marker feature is nobody\'s business', function () {
      expect(featureViews(number({ pvt_module_name: 'knm_local', pvt_features: { local: {} } }))).to.deep.equal({});
    });

    it('remembers only numbers in discovery or with features', function () {
      expect(rememberNumber(number(), '2-b')).to.deep.equal({ state: 'discovery', rev: '2-b' });
      expect(rememberNumber(number({ pvt_state: 'in_service' }), '2-b')).to.equal(undefined);
      expect(rememberNumber(number({ pvt_state: 'in_service', prepend: { enabled: true } }), '2-b')?.features).to.be.a('string');
    });

    it('keeps the account copy in step only for numbers that have or had a holder', function () {
      expect(reconcile(number({ pvt_state: 'in_service', pvt_assigned_to: RESELLER }), undefined)).to.deep.include({ kind: 'sync_account_copy' });
      expect(reconcile(number({ pvt_state: 'available', pvt_assigned_to: undefined, pvt_previously_assigned_to: RESELLER }), undefined)).to.deep.include({ kind: 'sync_account_copy' });
      expect(reconcile(number({ pvt_state: 'available', pvt_assigned_to: undefined }), undefined)).to.deep.equal([]);
    });

    it('a deleted number takes its holder\'s and previous holder\'s copies with it, and none when no revision tells who held it', function () {
      expect(reconcileDeleted(undefined, { pvt_assigned_to: CHILD, pvt_previously_assigned_to: RESELLER })).to.deep.equal([{ kind: 'remove_account_copies', accounts: [CHILD, RESELLER] }]);
      expect(reconcileDeleted(undefined, { pvt_assigned_to: RESELLER, pvt_previously_assigned_to: RESELLER })).to.deep.equal([{ kind: 'remove_account_copies', accounts: [RESELLER] }]);
      expect(reconcileDeleted(undefined, { pvt_assigned_to: 'not an account', pvt_state: 'discovery' })).to.deep.equal([]);
      expect(reconcileDeleted(undefined, undefined)).to.deep.equal([]);
    });
  });

  describe('purge (the tasks crawler rule, FACTS §4.8)', function () {
    const day = 86_400;
    const tasks = { discovery_expiry_d: 1, aging_expiry_d: 90 };
    const now = 63_900_000_000;
    const cases: [string, string, number, string][] = [
      ['deleted, any age', 'deleted', now, 'delete'],
      ['discovery older than discovery_expiry_d', 'discovery', now - day - 1, 'delete'],
      ['discovery exactly discovery_expiry_d old (strictly older only)', 'discovery', now - day, 'keep'],
      ['fresh discovery', 'discovery', now - 10, 'keep'],
      ['aging older than aging_expiry_d', 'aging', now - 90 * day - 1, 'make_available'],
      ['aging younger than aging_expiry_d', 'aging', now - 89 * day, 'keep'],
      ['released, however old', 'released', 0, 'keep'],
      ['available, however old', 'available', 0, 'keep'],
    ];
    for (const [name, state, modified, expected] of cases) {
      it(`${name}: ${expected}`, function () {
        expect(purgeDecision({ state: state as NumberRecord['state'], modified }, tasks, now)).to.equal(expected);
      });
    }
  });
});
