import { expect } from 'chai';
import { AccountFacts, directoryOf } from '../../src/lifecycle/accounts';
import { release, ReleasePolicy } from '../../src/lifecycle/release';
import type { NumberRecord, NumberState } from '../../src/documents/types';

// Roles of Kazoo's fixtures (FACTS §0): MASTER is super-duper admin, RESELLER below it, CHILD below RESELLER.
const MASTER = 'account0000000000000000000000001';
const RESELLER = 'account0000000000000000000000002';
const CHILD = 'account0000000000000000000000003';
const UNRELATED = 'unrelated_account_b113394f16cb71';
const fact = (id: string, tree: string[], superduperAdmin = false): AccountFacts => ({
  id,
  tree,
  superduperAdmin,
  allowNumberAdditions: true,
  enabled: true,
});
const accounts = directoryOf([fact(MASTER, [], true), fact(RESELLER, [MASTER]), fact(CHILD, [MASTER, RESELLER])]);
const DEFAULTS: ReleasePolicy = { releasedState: 'available', shouldPermanentlyDelete: false, shouldAge: false };

function record(state: NumberState, moduleName: string, assignedTo: string | undefined, reserveHistory: string[]): NumberRecord {
  return {
    number: '+15551233322',
    state,
    moduleName,
    assignedTo,
    previouslyAssignedTo: undefined,
    usedBy: assignedTo === undefined ? undefined : 'callflow',
    reserveHistory,
    features: moduleName === 'knm_local' || moduleName === 'knm_mdn' ? { local: {} } : { e911: { street_address: '1 Main' } },
    featuresAllowed: [],
    featuresDenied: [],
    carrierData: { order_id: 'x' },
    region: undefined,
    portedIn: false,
    created: 63600000000,
    modified: 63600000000,
    rev: '3-a',
    publicFields: { my_key: 'my_value', e911: { street_address: '1 Main' } },
    loaded: undefined,
  };
}

describe('lifecycle: release (states.md §6.5, Kazoo knm_release_number_tests)', () => {
  it('T02: an available local number released by system is deleted', () => {
    const result = release(accounts, record('available', 'knm_local', undefined, []), DEFAULTS, { authBy: 'system' });
    expect(result.ok && [result.record.state, result.remove, result.disconnect]).to.deep.equal(['deleted', true, true]);
  });

  for (const [name, authBy] of [['T04 system', 'system'], ['T05 master', MASTER], ['T06 reseller', RESELLER]]) {
    it(`${name}: an in_service local number with history [reseller] is deleted, unassigned, features [local]`, () => {
      const result = release(accounts, record('in_service', 'knm_local', RESELLER, [RESELLER]), DEFAULTS, { authBy });
      expect(result.ok).to.equal(true);
      if (!result.ok) return;
      expect(result.record.state).to.equal('deleted');
      expect(result.record.assignedTo).to.equal(undefined);
      expect(result.record.reserveHistory).to.deep.equal([]);
      expect(result.record.features).to.deep.equal({ local: {} });
      expect(result.record.previouslyAssignedTo).to.equal(RESELLER);
    });
  }

  for (const [name, authBy] of [['T07 system', 'system'], ['T08 master', MASTER]]) {
    it(`${name}: history [reseller, master] gives the number back to master, reserved`, () => {
      const result = release(accounts, record('in_service', 'knm_local', RESELLER, [RESELLER, MASTER]), DEFAULTS, { authBy });
      expect(result.ok).to.equal(true);
      if (!result.ok) return;
      expect([result.record.state, result.record.assignedTo, result.disconnect, result.remove]).to.deep.equal(['reserved', MASTER, false, false]);
      expect(result.record.reserveHistory).to.deep.equal([MASTER]);
      expect(result.record.features).to.deep.equal({ local: {} });
      expect(result.record.publicFields).to.deep.equal({});
      expect(result.record.usedBy).to.equal(undefined);
    });
  }

  it('T03/T09: an MDN number is deleted', () => {
    const result = release(accounts, record('in_service', 'knm_mdn', RESELLER, [RESELLER]), DEFAULTS, { authBy: MASTER });
    expect(result.ok && [result.record.state, result.record.moduleName, result.remove]).to.deep.equal(['deleted', 'knm_mdn', true]);
  });

  it('a number on an unknown carrier (knm_pacwest) ends available, unassigned, history [], carrier data kept', () => {
    const result = release(accounts, record('in_service', 'knm_pacwest', RESELLER, [RESELLER]), DEFAULTS, { authBy: 'system' });
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect([result.record.state, result.record.assignedTo, result.disconnect, result.remove]).to.deep.equal(['available', undefined, true, false]);
    expect(result.record.features).to.deep.equal({});
    expect(result.record.carrierData).to.deep.equal({ order_id: 'x' });
  });

  it('refuses an available non-local number with the released_state in the cause', () => {
    const result = release(accounts, record('available', 'knm_telnyx', undefined, []), DEFAULTS, { authBy: 'system' });
    expect(!result.ok && result.error.toJSON()).to.deep.equal({
      code: 400,
      error: 'invalid_state_transition',
      message: 'invalid state transition',
      cause: 'from available to available',
    });
  });

  it('refuses a descendant and an unrelated account (403)', () => {
    for (const authBy of [CHILD, UNRELATED]) {
      const result = release(accounts, record('in_service', 'knm_telnyx', RESELLER, [RESELLER]), DEFAULTS, { authBy });
      expect(!result.ok && result.error.error).to.equal('forbidden');
    }
  });

  it('follows released_state, should_age and should_permanently_delete', () => {
    const held = record('reserved', 'knm_telnyx', RESELLER, [RESELLER]);
    const released = release(accounts, held, { ...DEFAULTS, releasedState: 'released' }, { authBy: 'system' });
    expect(released.ok && released.record.state).to.equal('released');
    const aged = release(accounts, held, { ...DEFAULTS, shouldAge: true }, { authBy: 'system' });
    expect(aged.ok && aged.record.state).to.equal('aging');
    const notAged = release(accounts, held, { ...DEFAULTS, shouldAge: true, releasedState: 'released' }, { authBy: 'system' });
    expect(notAged.ok && notAged.record.state).to.equal('released');
    const deleted = release(accounts, held, { ...DEFAULTS, shouldPermanentlyDelete: true, shouldAge: true }, { authBy: 'system' });
    expect(deleted.ok && [deleted.record.state, deleted.remove]).to.deep.equal(['deleted', true]);
  });
});
