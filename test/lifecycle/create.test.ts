import { expect } from 'chai';
import { create, CreatePolicy, CreateRequest } from '../../src/lifecycle/create';
import { directoryOf } from '../../src/lifecycle/accounts';
import type { NumberState } from '../../src/documents/types';
import { CHILD, fixtureAccounts, fixtureDirectory, fixtureNumber, MASTER, RESELLER } from '../helpers/kazoo-roles';

const accounts = fixtureDirectory();
const POLICY: CreatePolicy = { availableModuleName: 'knm_local', portInModuleName: 'knm_local' };
const NOW = 63990000000;
const NEW = '+15559871234';
const AVAILABLE = '+15551239876';
const IN_SERVICE = '+15551233322';

function createNew(request: CreateRequest, isPorting = false) {
  return create(accounts, NEW, undefined, isPorting, POLICY, request, NOW);
}

describe('lifecycle: create (FACTS §4.6, Kazoo create tests)', () => {
  it('T17: master creates a new number for the reseller: in_service, knm_local, [local], no history', () => {
    const result = createNew({ authBy: MASTER, assignTo: RESELLER });
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    const { record } = result;
    expect([record.state, record.assignedTo, record.moduleName]).to.deep.equal(['in_service', RESELLER, 'knm_local']);
    expect(record.reserveHistory).to.deep.equal([]);
    expect(record.features).to.deep.equal({ local: {} });
    expect([record.created, record.portedIn]).to.deep.equal([NOW, false]);
  });

  it('T18: a carrier module that does not exist is kept, without the local feature', () => {
    const result = createNew({ authBy: MASTER, assignTo: RESELLER, moduleName: 'blipblop' });
    expect(result.ok && [result.record.moduleName, result.record.features]).to.deep.equal(['blipblop', {}]);
  });

  it('T19/T28: a reseller allowed additions creates for itself', () => {
    const result = createNew({ authBy: RESELLER, assignTo: RESELLER });
    expect(result.ok && result.record.state).to.equal('in_service');
  });

  it('T20: an account without additions is refused with 403', () => {
    const withoutAdditions = directoryOf(
      fixtureAccounts().map((account) => (account.id === RESELLER ? { ...account, allowNumberAdditions: false } : account)),
    );
    const result = create(withoutAdditions, NEW, undefined, false, POLICY, { authBy: RESELLER, assignTo: RESELLER }, NOW);
    expect(!result.ok && [result.error.code, result.error.error, result.error.message]).to.deep.equal([
      403,
      'forbidden',
      'requestor is unauthorized to perform operation',
    ]);
  });

  it('T21: an available number is created again for the reseller, in service, no history', () => {
    const result = create(accounts, AVAILABLE, fixtureNumber(AVAILABLE), false, POLICY, { authBy: MASTER, assignTo: RESELLER }, NOW);
    expect(result.ok && [result.record.state, result.record.assignedTo, result.record.reserveHistory]).to.deep.equal([
      'in_service',
      RESELLER,
      [],
    ]);
  });

  it('T22: an in_service number cannot be created: 409 number_exists naming it', () => {
    const result = create(accounts, IN_SERVICE, fixtureNumber(IN_SERVICE), false, POLICY, { authBy: 'system', assignTo: RESELLER }, NOW);
    expect(!result.ok && result.error.toJSON()).to.deep.equal({
      code: 409,
      error: 'number_exists',
      message: `number ${IN_SERVICE} already exists`,
      cause: IN_SERVICE,
    });
  });

  it('T25: only available, aging and port_in numbers may be created again', () => {
    const allowed: NumberState[] = ['available', 'port_in', 'aging'];
    for (const state of ['deleted', 'discovery', 'in_service', 'port_out', 'released', 'reserved', ...allowed] as NumberState[]) {
      const existing = { ...fixtureNumber(AVAILABLE), state };
      const result = create(accounts, AVAILABLE, existing, false, POLICY, { authBy: 'system', assignTo: RESELLER, state: 'port_in' }, NOW);
      const exists = !result.ok && result.error.error === 'number_exists';
      expect(exists, state).to.equal(!allowed.includes(state));
    }
  });

  it('T24: an MDN number is created in service whatever state was asked, with [local] and its public fields', () => {
    const result = createNew({ authBy: RESELLER, assignTo: RESELLER, moduleName: 'knm_mdn', state: 'reserved', publicFields: { mobile: { provider: 'x' } } });
    expect(result.ok && [result.record.state, result.record.features, result.record.publicFields]).to.deep.equal([
      'in_service',
      { local: {} },
      { mobile: { provider: 'x' } },
    ]);
  });

  it('T26: no requester at all is refused (403)', () => {
    const result = createNew({ authBy: undefined, assignTo: RESELLER });
    expect(!result.ok && result.error.error).to.equal('forbidden');
  });

  it('T27: a number in an active port request is refused with 400 number_is_porting, unless ported in', () => {
    const porting = createNew({ authBy: MASTER, assignTo: RESELLER }, true);
    expect(!porting.ok && [porting.error.code, porting.error.error, porting.error.kazooCause]).to.deep.equal([400, 'number_is_porting', NEW]);
    const portedIn = createNew({ authBy: 'system', assignTo: RESELLER, portedIn: true }, true);
    expect(portedIn.ok && [portedIn.record.state, portedIn.record.portedIn]).to.deep.equal(['in_service', true]);
  });

  it('port_in creation is open to any account, forced onto knm_local, not ported_in', () => {
    const result = createNew({ authBy: CHILD, assignTo: CHILD, state: 'port_in', moduleName: 'knm_telnyx' });
    expect(result.ok && [result.record.state, result.record.moduleName, result.record.portedIn, result.record.assignedTo]).to.deep.equal([
      'port_in',
      'knm_local',
      false,
      CHILD,
    ]);
  });

  it('creation states depend on the requester: admins may create available (unassigned), additions only in_service/reserved', () => {
    const available = createNew({ authBy: MASTER, assignTo: RESELLER, state: 'available' });
    expect(available.ok && [available.record.state, available.record.assignedTo]).to.deep.equal(['available', undefined]);
    const refused = createNew({ authBy: RESELLER, assignTo: RESELLER, state: 'available' });
    expect(!refused.ok && [refused.error.code, refused.error.error, refused.error.kazooCause]).to.deep.equal([403, 'forbidden', 'state_for_create']);
    expect(!refused.ok && refused.error.hint).to.contain("creating number in state 'available' is not allowed");
    const reserved = createNew({ authBy: RESELLER, assignTo: RESELLER, state: 'reserved' });
    expect(reserved.ok && [reserved.record.state, reserved.record.reserveHistory]).to.deep.equal(['reserved', [RESELLER]]);
  });

  it('a non-system requester must name the account (400 assign_failure field_undefined); system may not', () => {
    const missing = createNew({ authBy: MASTER, assignTo: undefined });
    expect(!missing.ok && missing.error.toJSON()).to.deep.equal({
      code: 400,
      error: 'assign_failure',
      message: 'invalid account to assign to',
      cause: 'field_undefined',
    });
    const unassigned = createNew({ authBy: 'system', assignTo: undefined });
    expect(unassigned.ok && [unassigned.record.state, unassigned.record.assignedTo]).to.deep.equal(['in_service', undefined]);
  });
});
