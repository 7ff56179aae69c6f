/** Reading: what cannot be a number document, and the upgrades the fixtures do not pin down. */
import { expect } from 'chai';
import { KnmError } from '../../src/errors';
import { readNumberDocument, ReadResult } from '../../src/documents/read';
import { writeNumberDocument } from '../../src/documents/write';
import { LOAD_TIME, readContext } from './context';

const ACCOUNT = '0123456789abcdef0123456789abcdef';

function read(doc: unknown, availableModuleName = 'knm_local'): ReadResult {
  return readNumberDocument(doc, { ...readContext(), availableModuleName });
}

function rejection(doc: unknown): KnmError {
  try {
    read(doc);
  } catch (error) {
    expect(error).to.be.instanceOf(KnmError);
    return error as KnmError;
  }
  throw new Error(`accepted ${JSON.stringify(doc)}`);
}

function modern(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    _id: '+14155550150',
    pvt_state: 'in_service',
    pvt_module_name: 'knm_telnyx',
    pvt_created: 63500000000,
    pvt_modified: 63500000001,
    pvt_type: 'number',
    ...extra,
  };
}

describe('documents: what is not a number document', () => {
  for (const [label, doc] of [
    ['null', null],
    ['an array', [{ _id: '+14155550150' }]],
    ['a string', '+14155550150'],
    ['a number', 14155550150],
  ] as const) {
    it(`refuses ${label}`, () => {
      const error = rejection(doc);
      expect(error.error).to.equal('bad_document');
      expect(error.code).to.equal(400);
      expect(error.message).to.contain('expected a JSON object');
      expect(error.hint).to.be.a('string').and.not.equal('');
    });
  }

  it('refuses a document without _id, saying so', () => {
    const error = rejection({ pvt_state: 'available' });
    expect(error.message).to.contain('(no _id)').and.contain('_id is missing');
    expect(error.kazooCause).to.equal('_id');
  });

  it('refuses an _id that does not normalize to a + number, naming it', () => {
    const error = rejection({ _id: '1234', pvt_state: 'available' });
    expect(error.message).to.contain('number document 1234').and.contain('_id');
    expect(error.kazooCause).to.equal('_id');
  });

  it('refuses design documents and non-string ids', () => {
    expect(rejection({ _id: '_design/numbers' }).kazooCause).to.equal('_id');
    expect(rejection({ _id: 14155550150 }).message).to.contain('expected the number as a string');
  });

  it('refuses a tombstone', () => {
    expect(rejection({ _id: '+14155550150', _rev: '2-a', _deleted: true }).kazooCause).to.equal('_deleted');
  });

  for (const [field, value] of [
    ['pvt_state', 5],
    ['pvt_number_state', { in_service: true }],
    ['pvt_module_name', ['knm_local']],
    ['pvt_assigned_to', 12345],
    ['pvt_previously_assigned_to', true],
    ['pvt_used_by', { app: 'callflow' }],
    ['pvt_reserve_history', [ACCOUNT, 42]],
    ['pvt_features', ['prepend', 7]],
    ['pvt_features_allowed', [null]],
    ['pvt_features_denied', [{}]],
    ['pvt_region', 3],
    ['_rev', 3],
  ] as const) {
    it(`refuses ${field} = ${JSON.stringify(value)}, naming the document and the field`, () => {
      const error = rejection(modern({ [field]: value }));
      expect(error.error).to.equal('bad_document');
      expect(error.kazooCause).to.equal(field);
      expect(error.message).to.contain('+14155550150').and.contain(field);
    });
  }
});

describe('documents: reading details', () => {
  it('keeps a 4.3 document clean and its values as stored', () => {
    const result = read(modern({ _rev: '3-abc', pvt_assigned_to: ACCOUNT, pvt_used_by: 'callflow', pvt_region: 'us-west' }));
    expect(result.dirty).to.equal(false);
    expect(result.warnings).to.deep.equal([]);
    const { record } = result;
    expect(record.number).to.equal('+14155550150');
    expect(record.state).to.equal('in_service');
    expect(record.rev).to.equal('3-abc');
    expect(record.assignedTo).to.equal(ACCOUNT);
    expect(record.usedBy).to.equal('callflow');
    expect(record.region).to.equal('us-west');
    expect(record.modified).to.equal(63500000001);
    expect(record.features).to.deep.equal({});
  });

  it('maps the literal "undefined" module to knm_local (dirty) and a missing one to available_module_name (clean)', () => {
    const undefinedModule = read(modern({ pvt_module_name: 'undefined' }), 'knm_inventory');
    expect(undefinedModule.record.moduleName).to.equal('knm_local');
    expect(undefinedModule.record.features).to.deep.equal({ local: {} });
    expect(undefinedModule.dirty).to.equal(true);
    expect(undefinedModule.fieldsSetToNow).to.deep.equal(['pvt_modified']);

    const missing = read(modern({ pvt_module_name: undefined }), 'knm_inventory');
    expect(missing.record.moduleName).to.equal('knm_inventory');
    expect(missing.dirty).to.equal(false);
  });

  it('renames wnm_ modules and the legacy bandwidth module', () => {
    expect(read(modern({ pvt_module_name: 'wnm_bandwidth2' })).record.moduleName).to.equal('knm_bandwidth2');
    expect(read(modern({ pvt_module_name: 'knm_bandwidth' })).record.moduleName).to.equal('knm_bandwidth2');
    expect(read(modern({ pvt_module_name: 'wnm_voip_innovations' })).record.moduleName).to.equal('knm_voip_innovations');
    const unknown = read(modern({ pvt_module_name: 'blipblop' }));
    expect(unknown.record.moduleName).to.equal('blipblop');
    expect(unknown.dirty).to.equal(false);
  });

  it('casts numeric timestamps as kz_term:to_integer does and sets the others to the load time', () => {
    const floats = read(modern({ pvt_created: 63500000000.6, pvt_modified: '63500000001.2' }));
    expect(floats.record.created).to.equal(63500000001);
    expect(floats.record.modified).to.equal(63500000001);
    expect(floats.dirty).to.equal(false);

    const junk = read(modern({ pvt_created: { at: 1 } }));
    expect(junk.record.created).to.equal(LOAD_TIME);
    expect(junk.record.modified).to.equal(LOAD_TIME);
    expect(junk.fieldsSetToNow).to.deep.equal(['pvt_created', 'pvt_modified']);
    expect(junk.warnings.join(' ')).to.contain('pvt_created');
  });

  it('migrates a v3 feature list whose public requests are missing', () => {
    const result = read(modern({ pvt_features: ['prepend', 'ringback', 'outbound_cnam', 'telnyx_e911', 'port', 'force_outbound'] }));
    expect(result.record.features).to.deep.equal({
      prepend: { enabled: false },
      ringback: {},
      outbound_cnam: {},
      port: {},
      force_outbound: false,
    });
    expect(result.dirty).to.equal(true);
  });

  it('takes telnyx_e911 from a v3 list but leaves a telnyx_e911 feature object alone', () => {
    const listed = read(modern({ pvt_features: ['telnyx_e911'], telnyx_e911: { street_address: '1 Main' } }));
    expect(listed.record.features).to.deep.equal({ e911: { street_address: '1 Main' } });
    // maybe_rename_public_features/1 copies only dash_e911 and vitelity_e911
    expect(listed.record.publicFields).to.not.have.property('e911');

    const object = read(modern({ pvt_features: { telnyx_e911: { street_address: '1 Main' } } }));
    expect(object.record.features).to.deep.equal({ telnyx_e911: { street_address: '1 Main' } });
    expect(object.dirty).to.equal(false);
  });

  it('drops v3 carrier data, public id and used_by, and the other legacy private keys', () => {
    const result = read(
      modern({
        pvt_module_data: { order_id: '1' },
        pvt_authorizing_account: ACCOUNT,
        pvt_resource_db: 'account%2Fxx',
        pvt_is_billable: true,
        id: '+14155550150',
        used_by: 'callflow',
        locality: { city: 'SF' },
      }),
    );
    expect(result.dirty).to.equal(false);
    expect(result.record.carrierData).to.deep.equal({});
    expect(result.record.usedBy).to.equal(undefined);
    expect(result.record.publicFields).to.deep.equal({ locality: { city: 'SF' } });
  });

  it('warns about a non-normalized _id and a foreign pvt_type, and reads the normalized number', () => {
    const result = read(modern({ _id: '4155550150', pvt_type: 'port_request' }));
    expect(result.record.number).to.equal('+14155550150');
    expect(result.record.loaded?.id).to.equal('4155550150');
    expect(result.dirty).to.equal(false);
    expect(result.warnings).to.have.length(2);
  });

  it('falls back to a valid pvt_number_state when pvt_state is unusable, still reporting the document', () => {
    const result = read(modern({ pvt_state: 'bogus', pvt_number_state: 'reserved' }));
    expect(result.malformed).to.equal(true);
    expect(result.record.state).to.equal('reserved');
  });

  it('reports null where 4.3 needs a value (FACTS §1.8 "not an object", "null")', () => {
    for (const field of ['pvt_carrier_data', 'pvt_module_name', 'pvt_reserve_history', 'pvt_previously_assigned_to']) {
      const result = read(modern({ [field]: null }));
      expect(result.malformed, field).to.equal(true);
      expect(result.warnings.join(' '), field).to.contain(field);
    }
  });

  it('drops malformed reserve history entries but keeps the good ones', () => {
    const result = read(modern({ pvt_reserve_history: [ACCOUNT, 'short'] }));
    expect(result.malformed).to.equal(true);
    expect(result.record.reserveHistory).to.deep.equal([ACCOUNT]);
  });

  it('tolerates what 4.3 tolerates: null ported_in and features, non-list allowed features', () => {
    const result = read(modern({ pvt_ported_in: null, pvt_features: null, pvt_features_denied: 'x' }));
    expect(result.malformed).to.equal(false);
    expect(result.record.portedIn).to.equal(false);
    expect(result.record.features).to.deep.equal({});
    expect(result.record.featuresDenied).to.deep.equal([]);
  });

  it('never aliases the stored document', () => {
    const stored = modern({ pvt_features: { failover: { e164: '+14155550199' } }, cnam: { display_name: 'A' } });
    const { record } = read(stored);
    (record.features.failover as Record<string, unknown>).e164 = '+1';
    (record.publicFields.cnam as Record<string, unknown>).display_name = 'B';
    expect(stored.pvt_features).to.deep.equal({ failover: { e164: '+14155550199' } });
    expect(stored.cnam).to.deep.equal({ display_name: 'A' });
    expect(writeNumberDocument(read(stored).record, { now: LOAD_TIME }).pvt_features).to.deep.equal({
      failover: { e164: '+14155550199' },
    });
  });
});
