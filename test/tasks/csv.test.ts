import { expect } from 'chai';
import { Readable } from 'node:stream';
import { CsvError, formatCsvRow, parseCsv, readCsv, readCsvRecords } from '../../src/tasks/csv';
import { readNumberDocument } from '../../src/documents/read';
import { echoRow, LIST_COLUMNS, listRow, publicFieldsOf } from '../../src/tasks/columns';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('tasks: CSV (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks; CRLF and LF; skips blank lines', () => {
    expect(parseCsv('a,b,c\r\n"x,1","say ""hi""","two\nlines"\n\nlast,,\n')).to.deep.equal([
      ['a', 'b', 'c'],
      ['x,1', 'say "hi"', 'two\nlines'],
      ['last', '', ''],
    ]);
    expect(parseCsv('no,newline')).to.deep.equal([['no', 'newline']]);
    expect(parseCsv('""')).to.deep.equal([['']]);
  });

  it('streams: a field split across chunks, a CR at the end of one chunk and the LF at the start of the next', async () => {
    const chunks = ['e164,na', 'me\r', '\n+1555,"Jo', 'hn ""J""', '"\r', '\n'];
    expect(await collect(readCsv(Readable.from(chunks)))).to.deep.equal([
      ['e164', 'name'],
      ['+1555', 'John "J"'],
    ]);
    const bytes = Buffer.from('e164\n+1€\n', 'utf8');
    expect(await collect(readCsv(Readable.from([bytes.subarray(0, 8), bytes.subarray(8)])))).to.deep.equal([['e164'], ['+1€']]);
  });

  it('refuses an unterminated quoted field', () => {
    expect(() => parseCsv('a\n"open')).to.throw(CsvError, /unterminated/);
  });

  it('names cells by the header and counts lines', async () => {
    const records = await collect(readCsvRecords(Readable.from(['e164, account_id\n+15551234567,abc\n+15551234568\n'])));
    expect(records.map((record) => [record.line, record.cells])).to.deep.equal([
      [2, { e164: '+15551234567', account_id: 'abc' }],
      [3, { e164: '+15551234568', account_id: '' }],
    ]);
  });

  it('writes quotes only where needed, or always for the columns asked', () => {
    expect(formatCsvRow(['a', 'b,c', 'd"e', ''])).to.equal('a,"b,c","d""e",\r\n');
    expect(formatCsvRow(['a', 'b'], (column) => column === 1)).to.equal('a,"b"\r\n');
    expect(parseCsv(formatCsvRow(['x\ny', '"', ',']))).to.deep.equal([['x\ny', '"', ',']]);
  });
});

describe('tasks: columns (kt_numbers)', () => {
  it('has the 26 list columns in Kazoo order', () => {
    expect(LIST_COLUMNS).to.have.length(26);
    expect(LIST_COLUMNS[0]).to.equal('e164');
    expect(LIST_COLUMNS[25]).to.equal('failover.sip');
  });

  it('turns cells into public fields: names mapped, booleans "true" only, empty cells and empty groups omitted, opaque paths', () => {
    expect(
      publicFieldsOf({
        e164: '+15551234567',
        'cnam.outbound': 'Rose',
        'cnam.inbound': 'yes',
        'e911.name': 'Bob',
        'e911.locality': '',
        'prepend.enabled': 'true',
        'ringback.early': '',
        force_outbound: 'false',
        'opaque.a.b': 'deep',
        carrier_name: 'acme',
      }),
    ).to.deep.equal({
      carrier_name: 'acme',
      cnam: { display_name: 'Rose', inbound_lookup: false },
      e911: { caller_name: 'Bob' },
      prepend: { enabled: true },
      force_outbound: false,
      a: { b: 'deep' },
    });
    expect(publicFieldsOf({ e164: '+15551234567' })).to.deep.equal({});
  });

  it('echoes an input row into the list columns', () => {
    const row = echoRow({ e164: '+1', state: 'x', unknown: 'y' });
    expect(row.e164).to.equal('+1');
    expect(row.state).to.equal('x');
    expect(Object.keys(row)).to.deep.equal([...LIST_COLUMNS]);
  });

  it('fills every list column of a number, and only those, in column order', () => {
    const record = readNumberDocument(
      { _id: '+15551234567', pvt_state: 'in_service', pvt_module_name: 'knm_local', pvt_assigned_to: '4fe69c5b61015084f1fe5684abc6e502', pvt_created: 1, pvt_modified: 2, pvt_features: { prepend: { enabled: true, name: 'Sales' }, e911: { caller_name: 'Bob', postal_code: '94110' }, failover: { sip: 'sip:a@b' } } },
      { now: 3, normalize: (number) => number, availableModuleName: 'knm_local' },
    ).record;
    const row = listRow(record, { accountName: 'Acme', defaultForceOutbound: false });
    expect(Object.keys(row)).to.deep.equal([...LIST_COLUMNS]);
    expect(row).to.include({ account_name: 'Acme', 'prepend.enabled': 'true', 'prepend.name': 'Sales', 'e911.name': 'Bob', 'e911.postal_code': '94110', 'failover.sip': 'sip:a@b', force_outbound: 'false', created: '1', modified: '2' });
  });
});
