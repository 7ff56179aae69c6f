import { expect } from 'chai';
import { AccountFacts, directoryOf } from '../../src/lifecycle/accounts';
import { transition } from '../../src/lifecycle/transitions';
import { NUMBER_STATES, NumberRecord, NumberState } from '../../src/documents/types';

/** A synthetic tree: ROOT ⊃ OWNER ⊃ CHILD; ADMIN (super-duper) and STRANGER stand apart. */
const id = (name: string) => name.padEnd(32, '0');
const ROOT = id('root');
const OWNER = id('owner');
const CHILD = id('child');
const ADMIN = id('admin');
const STRANGER = id('stranger');
/** An account unrelated to every requester: what a number is given to in the "gives it away" cases. */
const OUTSIDER = id('outsider');
const account = (accountId: string, tree: string[], superduperAdmin = false): AccountFacts => ({
  id: accountId,
  tree,
  superduperAdmin,
  allowNumberAdditions: false,
  enabled: true,
});
const accounts = directoryOf([
  account(ROOT, []),
  account(OWNER, [ROOT]),
  account(CHILD, [ROOT, OWNER]),
  account(ADMIN, [], true),
  account(STRANGER, []),
  account(OUTSIDER, []),
]);

const RELATIONS = ['system', 'admin', 'owner', 'ancestor', 'descendant', 'unrelated'] as const;
type Relation = (typeof RELATIONS)[number];
const REQUESTER: Record<Relation, string> = {
  system: 'system',
  admin: ADMIN,
  owner: OWNER,
  ancestor: ROOT,
  descendant: CHILD,
  unrelated: STRANGER,
};

/** Numbers nobody holds yet are `available` and `discovery`; every other state is held by OWNER. */
const UNHELD: ReadonlySet<NumberState> = new Set(['available', 'discovery']);

function numberIn(state: NumberState, moduleName = 'knm_telnyx'): NumberRecord {
  return {
    number: '+14158867900',
    state,
    moduleName,
    assignedTo: UNHELD.has(state) ? undefined : OWNER,
    previouslyAssignedTo: undefined,
    usedBy: UNHELD.has(state) ? undefined : 'callflow',
    reserveHistory: state === 'reserved' ? [OWNER] : [],
    features: {},
    featuresAllowed: [],
    featuresDenied: [],
    carrierData: {},
    region: undefined,
    portedIn: false,
    created: 63600000000,
    modified: 63600000000,
    rev: '1-a',
    publicFields: {},
    loaded: undefined,
  };
}

/**
 * The oracle, written from FACTS §4.4's table and the requester matrix of states.md §2 rather than from
 * the account tree: which rule guards each (target, from), and who passes each rule.
 */
type Rule = 'is_authorized' | 'none' | 'authorized_or_reserved_from_parent';
const RULES: Partial<Record<NumberState, Partial<Record<NumberState, Rule>>>> = {
  in_service: {
    discovery: 'is_authorized',
    available: 'none',
    aging: 'none',
    port_in: 'is_authorized',
    reserved: 'authorized_or_reserved_from_parent',
    in_service: 'is_authorized',
  },
  reserved: { discovery: 'is_authorized', available: 'is_authorized', in_service: 'is_authorized', reserved: 'is_authorized' },
  available: { available: 'is_authorized' },
  aging: { aging: 'none', released: 'none', available: 'none' },
  port_in: { port_in: 'none' },
};
const ACQUIRES: Partial<Record<NumberState, NumberState[]>> = {
  in_service: ['discovery'],
  reserved: ['discovery', 'reserved'],
};

function passes(rule: Rule, relation: Relation, from: NumberState, givesAway: boolean): boolean {
  if (rule === 'none') return true;
  const admin = relation === 'system' || relation === 'admin';
  // Unheld numbers are judged against the account they go to: the requester itself passes, an outsider only for admins.
  const authorized = UNHELD.has(from) ? admin || !givesAway : admin || relation === 'owner' || relation === 'ancestor';
  if (rule === 'is_authorized') return authorized;
  return authorized || relation === 'descendant';
}

describe('lifecycle: transitions (generated matrix: every state × target × requester)', () => {
  for (const from of NUMBER_STATES) {
    for (const target of NUMBER_STATES) {
      for (const relation of RELATIONS) for (const givesAway of [false, true]) {
        const authBy = REQUESTER[relation];
        const assignTo = givesAway ? OUTSIDER : relation === 'system' ? CHILD : authBy;
        const rule = RULES[target]?.[from];
        const selfNoChange = assignTo === OWNER && !UNHELD.has(from);
        it(`${from} → ${target} by ${relation}${givesAway ? ' for an outsider' : ''}`, () => {
          const result = transition(accounts, numberIn(from), { target, authBy, assignTo });
          if (rule === undefined) {
            expect(result.ok).to.equal(false);
            if (result.ok) return;
            expect(result.error.error).to.equal('invalid_state_transition');
            return;
          }
          if (target === 'reserved' && from === 'reserved' && selfNoChange) {
            expect(!result.ok && result.error.error).to.equal('no_change_required');
            return;
          }
          if (target === 'in_service' && from === 'in_service' && selfNoChange) {
            // Moving a number in service to its own holder succeeds and leaves it untouched (knm_states:to_in_service/1).
            expect(result.ok && result.record).to.deep.equal(numberIn(from));
            expect(result.ok && result.acquire).to.equal(false);
            return;
          }
          const allowed = passes(rule, relation, from, givesAway);
          expect(result.ok, result.ok ? 'allowed' : result.error.toLine()).to.equal(allowed);
          if (!result.ok) {
            expect(result.error.toJSON()).to.deep.equal({
              code: 403,
              error: 'forbidden',
              message: 'requestor is unauthorized to perform operation',
            });
            return;
          }
          expect(result.record.state).to.equal(target);
          const movesHolder = !(target === 'available');
          expect(result.record.assignedTo).to.equal(movesHolder ? assignTo : numberIn(from).assignedTo);
          expect(result.acquire).to.equal((ACQUIRES[target] ?? []).includes(from));
          if (target === 'reserved') expect(result.record.reserveHistory[0]).to.equal(assignTo);
          else expect(result.record.reserveHistory).to.deep.equal(numberIn(from).reserveHistory);
        });
      }
    }
  }
});

describe('lifecycle: transition details', () => {
  it('gives the old holder to previously_assigned_to and clears used_by when the holder changes', () => {
    const result = transition(accounts, numberIn('in_service'), { target: 'in_service', authBy: 'system', assignTo: CHILD });
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect(result.record.assignedTo).to.equal(CHILD);
    expect(result.record.previouslyAssignedTo).to.equal(OWNER);
    expect(result.record.usedBy).to.equal(undefined);
  });

  it('refuses reserving a reserved number without a target (403, cause "can not assign to self")', () => {
    const result = transition(accounts, numberIn('reserved'), { target: 'reserved', authBy: 'system', assignTo: undefined });
    expect(!result.ok && result.error.toJSON()).to.deep.equal({
      code: 403,
      error: 'forbidden',
      message: 'requestor is unauthorized to perform operation',
      cause: 'can not assign to self',
    });
  });

  it("keeps MDN numbers in service, with Kazoo's swapped cause for in_service targets", () => {
    const mdn = numberIn('available', 'knm_mdn');
    const toReserved = transition(accounts, mdn, { target: 'reserved', authBy: 'system', assignTo: OWNER });
    expect(!toReserved.ok && toReserved.error.kazooCause).to.equal("from 'MDN' to reserved");
    const toInService = transition(accounts, mdn, { target: 'in_service', authBy: 'system', assignTo: OWNER });
    expect(!toInService.ok && toInService.error.kazooCause).to.equal('from in_service to available');
    const reassigned = transition(accounts, numberIn('in_service', 'knm_mdn'), { target: 'in_service', authBy: 'system', assignTo: CHILD });
    expect(reassigned.ok).to.equal(true);
  });

  it('fails unreachable targets with no cause', () => {
    const result = transition(accounts, numberIn('in_service'), { target: 'released', authBy: 'system', assignTo: OWNER });
    expect(!result.ok && result.error.toJSON()).to.deep.equal({
      code: 400,
      error: 'invalid_state_transition',
      message: 'invalid state transition',
    });
  });

  it('names both states in the cause of an invalid move', () => {
    const result = transition(accounts, numberIn('port_out'), { target: 'in_service', authBy: 'system', assignTo: OWNER });
    expect(!result.ok && result.error.kazooCause).to.equal('from port_out to in_service');
  });

  it('lets any account take a number reserved by a super-duper admin (Kazoo quirk)', () => {
    const reservedByAdmin = { ...numberIn('reserved'), assignedTo: ADMIN, reserveHistory: [ADMIN] };
    const result = transition(accounts, reservedByAdmin, { target: 'in_service', authBy: STRANGER, assignTo: STRANGER });
    expect(result.ok).to.equal(true);
  });
});
