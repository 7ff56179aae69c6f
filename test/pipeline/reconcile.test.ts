import { expect } from 'chai';
import { readNumberDocument } from '../../src/documents/read';
import type { NumberRecord } from '../../src/documents/types';
import {
  ACQUIRE_FAILURE_MARKER,
  ACQUIRED_MARKER,
  acquiredNumber,
  featureViews,
  purgeDecision,
  reconcile,
  reconcileDeleted,
  refusedAcquisition,
  rememberNumber,
  type SeenNumber,
} from '../../src/pipeline/reconcile';
import { readContext } from '../documents/context';
import { fixtureDoc, RESELLER, CHILD } from './harness';

/** Kazoo's discovery fixture, read as knm reads it, then changed as a writer would. */
function number(change: Record<string, unknown> = {}, rev = '2-b'): NumberRecord {
  return readNumberDocument({ ...fixtureDoc('+14122065197'), _rev: rev, ...change }, readContext()).record;
}

const IN_DISCOVERY: SeenNumber = { state: 'discovery', rev: '1-a', features: {} };

describe('pipeline reconcile (pure)', function () {
  describe('acquisition', function () {
    const cases: [string, Record<string, unknown>, SeenNumber | undefined, boolean][] = [
      ['discovery → in_service', { pvt_state: 'in_service' }, IN_DISCOVERY, true],
      ['discovery → reserved', { pvt_state: 'reserved' }, IN_DISCOVERY, true],
      ['still in discovery', {}, IN_DISCOVERY, false],
      ['discovery → available (not a purchase)', { pvt_state: 'available' }, IN_DISCOVERY, false],
      ['in_service never seen in discovery', { pvt_state: 'in_service' }, undefined, false],
      ['in_service, seen in_service before', { pvt_state: 'in_service' }, { state: 'in_service', rev: '1-a', features: {} }, false],
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
      expect(reconcile(bought, { state: 'discovery', rev: '3-c', features: {} }).some((action) => action.kind === 'acquire')).to.equal(false);
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

  describe('feature notices and what is remembered', function () {
    it('tells gained, changed and lost features, and nothing when they are as last seen', function () {
      const withE911 = number({ pvt_state: 'in_service', e911: { street_address: 'a' }, pvt_features: { e911: { street_address: 'a' } } });
      const seenNow = rememberNumber(withE911, '2-b');
      expect(seenNow?.features).to.deep.equal({ e911: { requested: { street_address: 'a' }, active: { street_address: 'a' } } });
      expect(reconcile(withE911, undefined).filter((action) => action.kind === 'notify')).to.deep.equal([
        { kind: 'notify', feature: 'e911', before: undefined, after: { requested: { street_address: 'a' }, active: { street_address: 'a' } } },
      ]);
      expect(reconcile(withE911, seenNow).filter((action) => action.kind === 'notify')).to.deep.equal([]);
      const moved = number({ pvt_state: 'in_service', e911: { street_address: 'b' }, pvt_features: { e911: { street_address: 'a' } } });
      expect(reconcile(moved, seenNow).filter((action) => action.kind === 'notify').map((action) => action.kind === 'notify' && action.after)).to.deep.equal([
        { requested: { street_address: 'b' }, active: { street_address: 'a' } },
      ]);
      expect(reconcileDeleted(seenNow)).to.deep.equal([{ kind: 'notify', feature: 'e911', before: seenNow?.features.e911, after: undefined }]);
    });

    it('the local marker feature is nobody\'s business', function () {
      expect(featureViews(number({ pvt_module_name: 'knm_local', pvt_features: { local: {} } }))).to.deep.equal({});
    });

    it('remembers only numbers in discovery or with features', function () {
      expect(rememberNumber(number(), '2-b')).to.deep.equal({ state: 'discovery', rev: '2-b', features: {} });
      expect(rememberNumber(number({ pvt_state: 'in_service' }), '2-b')).to.equal(undefined);
      expect(rememberNumber(number({ pvt_state: 'in_service', prepend: { enabled: true } }), '2-b')?.features).to.have.keys('prepend');
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
