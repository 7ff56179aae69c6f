import { expect } from 'chai';
import { Readable } from 'node:stream';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { compileNumberRules } from '../../src/numbers/rules';
import { accountDbName, toDbName } from '../../src/numbers/db-names';
import type { LifecycleEnvironment } from '../../src/lifecycle/service';
import { createBatch } from '../../src/lifecycle/batch';
import type { FeatureProvider } from '../../src/providers/provider';
import type { Store } from '../../src/store/client';
import { parseCsv } from '../../src/tasks/csv';
import { RESULT_COLUMNS } from '../../src/tasks/columns';
import { importCsv } from '../../src/tasks/import';
import { runRows, TaskContext } from '../../src/tasks/number-tasks';
import { exportNumbers } from '../../src/tasks/export';
import { FixtureStore, loadFixtures, NOW, startFixtureStore } from '../helpers/fixture-store';
import { MASTER, RESELLER } from '../helpers/kazoo-roles';

const config = defaultNumberManagerConfig();
const { rules } = compileNumberRules(config);

function environment(fixture: FixtureStore, store: Store = fixture.store): LifecycleEnvironment {
  return { store, designDocs: fixture.library, rules, config, clock: () => NOW };
}

/** The fixture's store, but `before` runs once, ahead of the first `_bulk_docs` that writes `number`. */
function onFirstWriteOf(fixture: FixtureStore, number: string, before: (db: string) => Promise<unknown>): Store {
  let done = false;
  return {
    ...fixture.store,
    bulkDocs: async (db, docs, options) => {
      if (!done && docs.some((doc) => doc._id === number)) {
        done = true;
        await before(db);
      }
      return fixture.store.bulkDocs(db, docs, options);
    },
  };
}

function taskContext(env: LifecycleEnvironment, authBy: string, superAdmin: boolean): TaskContext {
  return { env, authBy, taskAccount: RESELLER, superAdmin, importDefaultCarrier: 'knm_local' };
}

/** Runs an import of `csv` and answers the report and the result rows as objects. */
async function runImport(context: TaskContext, action: TaskContext extends never ? never : Parameters<typeof importCsv>[0]['action'], csv: string, batchSize = 2, concurrency?: number) {
  let output = '';
  const report = await importCsv({ context, action, input: Readable.from([csv]), write: (text) => void (output += text), batchSize, concurrency });
  const [header, ...rows] = parseCsv(output);
  expect(header).to.deep.equal([...RESULT_COLUMNS]);
  const results = rows.map((row) => Object.fromEntries(header.map((column, at) => [column, row[at]])));
  return { report, results, output };
}

describe('tasks: number_management actions over the embedded store', function () {
  this.timeout(60000);
  let fixture: FixtureStore;

  before(async () => {
    fixture = await startFixtureStore();
  });

  after(async () => {
    await fixture.server.close();
  });

  beforeEach(async () => {
    await loadFixtures(fixture.store, fixture.library);
    for (const account of [MASTER, RESELLER]) await fixture.store.createDb(accountDbName(account));
  });

  it('imports in batches: per-row results with the error column, a failed row never stops the file', async () => {
    const csv = [
      'e164,account_id,ringback.early,e911.name,prepend.enabled,prepend.name,ported_in',
      '+14158867900,,ring.mp3,,true,Sales,',
      '+15551233322,,,,,,',
      '4158867901,,,,,,',
      `+14158867902,${'x'.repeat(5)},,,,,`,
      '+14158867904,,,Bob,,,',
      '+15551239876,,,,,,true',
      '+14158867900,,,,,,',
      '+19042471591,,,,,,',
    ].join('\n');
    const { report, results } = await runImport(taskContext(environment(fixture), 'system', true), 'import', csv);
    expect(report.rows).to.equal(8);
    expect(report.succeeded).to.equal(2);
    // e911 on a knm_local number is an external feature its reseller may not have (providers' gate, 403)
    expect(results.map((row) => [row.e164, row.state, row.error])).to.deep.equal([
      ['+14158867900', 'in_service', ''],
      ['+15551233322', '', 'number +15551233322 already exists'],
      ['4158867901', '', 'invalid e164: "4158867901" must start with +'],
      ['+14158867902', '', 'invalid account_id: "xxxxx" is not a 32-character account id'],
      ['+14158867904', '', 'requestor is unauthorized to perform operation'],
      ['+15551239876', 'in_service', ''],
      ['+14158867900', '', 'number +14158867900 already exists'],
      ['+19042471591', '', 'number +19042471591 is porting'],
    ]);
    expect(results[0]).to.include({ account_id: RESELLER, carrier_module: 'knm_local', ported_in: 'false', account_name: 'Sub Account' });
    expect(results[5]).to.include({ ported_in: 'true' });
    const stored = await fixture.store.get(toDbName('+14158867900')!, '+14158867900');
    expect(stored).to.include({ pvt_state: 'in_service', pvt_assigned_to: RESELLER, pvt_module_name: 'knm_local' });
    expect(stored.ringback).to.deep.equal({ early: 'ring.mp3' });
    expect(stored.prepend).to.deep.equal({ enabled: true, name: 'Sales' });
    const copy = await fixture.store.get(accountDbName(RESELLER), '+14158867900');
    expect(copy).to.include({ pvt_state: 'in_service' });
    expect(report.failed.map((failure) => failure.line)).to.deep.equal([3, 4, 5, 6, 8, 9]);
  });

  it('reads the accounts and port requests once a second, the numbers only when they exist, and checks an account database once per import', async () => {
    const asked: string[] = [];
    const store: Store = {
      ...fixture.store,
      getMany: (db, ids) => (asked.push(`getMany ${db}${ids.every((id) => id.startsWith('_design/')) ? ' (design documents)' : ''}`), fixture.store.getMany(db, ids)),
      view: (db, design, view, options) => (asked.push(`view ${db}`), fixture.store.view(db, design, view, options)),
      dbExists: (db) => (asked.push(`dbExists ${db}`), fixture.store.dbExists(db)),
    };
    const count = (request: string): number => asked.filter((entry) => entry === request).length;
    const numberReads = (): number => asked.filter((entry) => entry === `getMany ${toDbName('+14158867920')}`).length;
    const csv = ['e164', '+14158867920', '+14158867921', '+14158867922', '+14158867923', '+14158867924', '+14158867925'].join('\n');
    // each batch starts in a second of its own: each reads the accounts and the port requests
    let second = NOW;
    const ticking = { ...environment(fixture, store), clock: () => second };
    const importing = taskContext(ticking, 'system', true);
    const first = await runImport({ ...importing, env: { ...ticking, store: { ...store, bulkDocs: (db, docs, options) => ((second += 1), store.bulkDocs(db, docs, options)) } } }, 'import', csv, 2, 1);
    expect(first.results.map((row) => [row.state, row.account_name, row.error])).to.deep.equal(Array(6).fill(['in_service', 'Sub Account', '']));
    // new numbers are written without being read: the writes' conflicts would have said which exist
    expect([count('getMany accounts'), count('view port_requests'), count(`dbExists ${accountDbName(RESELLER)}`), numberReads()]).to.deep.equal([3, 3, 1, 0]);
    expect((await fixture.store.get(accountDbName(RESELLER), '+14158867925')).pvt_state).to.equal('in_service');

    // batches that start within one second share one read of the accounts and of the port requests
    asked.length = 0;
    const again = await runImport(taskContext(environment(fixture, store), 'system', true), 'import', csv, 2, 1);
    expect(again.results.map((row) => row.error)).to.deep.equal(Array(6).fill('number +1415886792X already exists').map((text, at) => text.replace('X', String(at))));
    // each batch's writes met conflicts: its numbers are read and decided as stored
    expect([count('getMany accounts'), count('view port_requests'), numberReads()]).to.deep.equal([1, 1, 3]);
  });

  it('honours carrier_module and state only for super-duper admins', async () => {
    const csv = 'e164,carrier_module,state\n+14158867910,knm_inventory,available\n';
    const asReseller = await runImport(taskContext(environment(fixture), RESELLER, false), 'import', csv);
    expect(asReseller.results[0]).to.include({ carrier_module: 'knm_local', state: 'in_service', error: '' });
    const asMaster = await runImport(taskContext(environment(fixture), MASTER, true), 'import', 'e164,carrier_module,state,account_id\n+14158867911,knm_inventory,available,\n');
    expect(asMaster.results[0]).to.include({ carrier_module: 'knm_inventory', state: 'available', error: '' });
  });

  it('decides a row again when its write met a conflict (someone created the number meanwhile)', async () => {
    const racing = onFirstWriteOf(fixture, '+15559990020', (db) =>
      fixture.store.put(db, { _id: '+15559990020', pvt_state: 'in_service', pvt_module_name: 'knm_local', pvt_type: 'number', pvt_assigned_to: MASTER, pvt_db_name: 'numbers%2F%2B1555', pvt_ported_in: false, pvt_created: NOW, pvt_modified: NOW }),
    );
    const outcomes = await createBatch(environment(fixture, racing), [
      { number: '+15559990020', request: { assignTo: RESELLER } },
      { number: '+15559990021', request: { assignTo: RESELLER } },
    ], { authBy: 'system' });
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.error))).to.deep.equal(['number_exists', 'ok']);
    expect((await fixture.store.get(toDbName('+15559990020')!, '+15559990020')).pvt_assigned_to).to.equal(MASTER);
  });

  it('decides a number unread only when nothing can reach outside the document: a provider that can waits for the number as stored', async () => {
    const existing = '+15559990030';
    const fresh = '+15559990031';
    const db = toDbName(existing)!;
    await fixture.store.put(db, { _id: existing, pvt_state: 'in_service', pvt_module_name: 'knm_local', pvt_type: 'number', pvt_assigned_to: MASTER, pvt_db_name: 'numbers%2F%2B1555', pvt_ported_in: false, pvt_created: NOW, pvt_modified: NOW });
    const run = async (reachesOutside: boolean, numbers: readonly string[]) => {
      const saved: string[] = [];
      const requests: string[] = [];
      const store: Store = {
        ...fixture.store,
        getMany: (at, ids) => (at === db && requests.push(`read ${ids.join(' ')}`), fixture.store.getMany(at, ids)),
        bulkDocs: (at, docs, options) => (at === db && requests.push(`write ${docs.map((doc) => doc._id).join(' ')}`), fixture.store.bulkDocs(at, docs, options)),
      };
      const prepend: FeatureProvider = { module: 'knm_prepend', reachesOutside, save: async (record) => (saved.push(record.number), record), delete: async (record) => record };
      const env = { ...environment(fixture, store), providers: (module: string) => (module === 'knm_prepend' ? prepend : undefined) };
      const rows = numbers.map((number) => ({ number, request: { assignTo: RESELLER, publicFields: { prepend: { enabled: true, name: 'Sales' } } } }));
      const outcomes = await createBatch(env, rows, { authBy: 'system' });
      return { errors: outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.error)), saved, requests };
    };
    // a provider that may call a carrier or notify never runs for a guess: both numbers are read first
    const careful = await run(true, [existing, fresh]);
    expect(careful).to.deep.equal({ errors: ['number_exists', 'ok'], saved: [fresh], requests: [`read ${existing} ${fresh}`, `write ${fresh}`] });
    // one that only shapes the document runs on the guess; the stored number's conflict sends it back to be read
    const bold = await run(false, [existing, '+15559990032']);
    expect(bold).to.deep.equal({ errors: ['number_exists', 'ok'], saved: [existing, '+15559990032'], requests: [`write ${existing} +15559990032`, `read ${existing}`] });
  });

  it('keeps the rows of batches run at once in file order, a number in two batches acted on in that order', async () => {
    // The first batch's writes are held back, so the batches after it finish first unless something waits.
    const slowFirst = onFirstWriteOf(fixture, '+14158867920', () => new Promise((resolve) => setTimeout(resolve, 300)));
    const numbers = ['+14158867920', '+14158867921', '+14158867922', '+14158867923', '+14158867920', '+14158867924', '+14158867925', '+14158867921'];
    const csv = ['e164', ...numbers].join('\n');
    const { report, results } = await runImport(taskContext(environment(fixture, slowFirst), 'system', true), 'import', csv, 2, 4);
    expect(results.map((row) => [row.e164, row.error])).to.deep.equal([
      ['+14158867920', ''],
      ['+14158867921', ''],
      ['+14158867922', ''],
      ['+14158867923', ''],
      ['+14158867920', 'number +14158867920 already exists'],
      ['+14158867924', ''],
      ['+14158867925', ''],
      ['+14158867921', 'number +14158867921 already exists'],
    ]);
    expect(report).to.deep.include({ rows: 8, succeeded: 6 });
    expect(report.failed.map((failure) => failure.line)).to.deep.equal([6, 9]);
  });

  it('gathers the rows of each number database into batches of their own, the results still in file order', async () => {
    const writes: string[] = [];
    const recording: Store = {
      ...fixture.store,
      bulkDocs: async (db, docs, options) => {
        const written = await fixture.store.bulkDocs(db, docs, options);
        // the number databases' writes (not their design documents, nor the account databases' copies)
        if (db.startsWith('numbers/') && docs.every((doc) => String(doc._id).startsWith('+'))) writes.push(`${db} ${docs.map((doc) => doc._id).join(' ')}`);
        return written;
      },
    };
    const context = taskContext(environment(fixture, recording), 'system', true);
    // A 1212, B 1213, C 1214: the databases in turn, as a file of numbers bought here and there lists them
    const [a, b, c] = ['+1212', '+1213', '+1214'].map((prefix) => (n: number) => `${prefix}5550${String(n).padStart(3, '0')}`);
    const inTurn = [a(1), b(1), a(2), b(2), a(3), b(3)];
    const gathered = await runImport(context, 'import', ['e164', ...inTurn].join('\n'), 3);
    expect(gathered.results.map((row) => [row.e164, row.error])).to.deep.equal(inTurn.map((number) => [number, '']));
    expect(writes).to.deep.equal([`numbers/+1212 ${a(1)} ${a(2)} ${a(3)}`, `numbers/+1213 ${b(1)} ${b(2)} ${b(3)}`]);

    // Past the window of rows waiting, the database of the oldest row starts, topped up from the fullest other:
    // no row waits on the whole file.
    writes.length = 0;
    const spread = [a(4), b(4), b(5), c(1), c(2), c(3), a(5)];
    let output = '';
    const report = await importCsv({ context, action: 'import', input: Readable.from([['e164', ...spread].join('\n')]), write: (text) => void (output += text), batchSize: 3, gatherRows: 4 });
    expect(report).to.deep.include({ rows: 7, succeeded: 7 });
    expect(parseCsv(output).slice(1).map((row) => row[0])).to.deep.equal(spread);
    expect(writes.sort()).to.deep.equal([`numbers/+1212 ${a(4)}`, `numbers/+1212 ${a(5)}`, `numbers/+1213 ${b(4)} ${b(5)}`, `numbers/+1214 ${c(1)} ${c(2)} ${c(3)}`]);
  });

  it('answers every row of a batch that failed as a whole with why, and goes on with the file', async () => {
    const failing: Store = {
      ...fixture.store,
      getMany: async (db, ids) => {
        if (ids.includes('+14158867932')) throw new Error('getMany: CouchDB is unavailable for numbers/+1415 (connection refused)');
        return fixture.store.getMany(db, ids);
      },
    };
    const csv = ['e164', '+14158867930', '+14158867931', '+14158867932', '+14158867933', '+14158867934'].join('\n');
    const { report, results } = await runImport(taskContext(environment(fixture, failing), 'system', true), 'import', csv);
    expect(results.map((row) => [row.e164, row.error])).to.deep.equal([
      ['+14158867930', ''],
      ['+14158867931', ''],
      ['+14158867932', 'getMany: CouchDB is unavailable for numbers/+1415 (connection refused)'],
      ['+14158867933', 'getMany: CouchDB is unavailable for numbers/+1415 (connection refused)'],
      ['+14158867934', ''],
    ]);
    expect(report).to.deep.include({ rows: 5, succeeded: 3 });
    expect(await fixture.store.getOrNull(toDbName('+14158867934')!, '+14158867934')).to.include({ pvt_state: 'in_service' });
  });

  it('writes the results of the rows already run when the file turns out bad midway', async () => {
    let output = '';
    const csv = 'e164\n+14158867940\n+14158867941\n+14158867942\n"+14158867943';
    const run = importCsv({ context: taskContext(environment(fixture), 'system', true), action: 'import', input: Readable.from([csv]), write: (text) => void (output += text), batchSize: 2 });
    await run.then(() => expect.fail('an unterminated quote is bad input'), (error: Error) => expect(error.message).to.match(/unterminated quoted field/));
    expect(parseCsv(output).slice(1).map((row) => row[0])).to.deep.equal(['+14158867940', '+14158867941', '+14158867942']);
  });

  it('runs reserve, update_merge, update_overwrite, release, assign_to and delete row by row', async () => {
    const context = taskContext(environment(fixture), 'system', true);
    const rows = (action: string, cells: Record<string, string>) => runRows(context, action as never, [{ e164: '+15551239876', ...cells }]);
    expect((await rows('reserve', {}))[0]).to.include({ state: 'reserved', account_id: RESELLER, error: '' });
    expect((await rows('update_merge', { 'prepend.name': 'Merged' }))[0].error).to.equal('');
    expect((await rows('update_merge', { 'ringback.early': 'kept.mp3' }))[0].error).to.equal('');
    let stored = await fixture.store.get(toDbName('+15551239876')!, '+15551239876');
    expect(stored.prepend).to.deep.equal({ name: 'Merged' });
    expect(stored.ringback).to.deep.equal({ early: 'kept.mp3' });
    await rows('update_overwrite', { 'prepend.name': 'Only' });
    stored = await fixture.store.get(toDbName('+15551239876')!, '+15551239876');
    expect(stored.prepend).to.deep.equal({ name: 'Only' });
    expect(stored).to.not.have.property('ringback');
    expect((await rows('assign_to', {}))[0]).to.include({ state: 'in_service', error: '' });
    expect((await rows('release', {}))[0]).to.include({ error: '' });
    expect((await runRows(context, 'release', [{ e164: '+14156301234' }]))[0].error).to.equal('number +14156301234 not found');
    expect((await runRows(context, 'delete', [{ e164: '+15551233322' }]))[0]).to.include({ error: '' });
    expect(await fixture.store.getOrNull(toDbName('+15551233322')!, '+15551233322')).to.equal(null);
    const notAdmin = taskContext(environment(fixture), RESELLER, false);
    expect((await runRows(notAdmin, 'delete', [{ e164: '+15551255693' }]))[0].error).to.equal('requestor is unauthorized to perform operation');
  });

  it('exports the list rows: all, by state, by account', async () => {
    const env = environment(fixture);
    const all: Record<string, string>[] = [];
    const total = await exportNumbers(env, {}, (row) => void all.push(row));
    expect(total).to.equal(all.length);
    expect(total).to.be.greaterThan(15);
    const reserved: Record<string, string>[] = [];
    await exportNumbers(env, { state: 'reserved' }, (row) => void reserved.push(row));
    expect(reserved.map((row) => row.e164).sort()).to.deep.equal(['+14242424247', '+14242424248', '+14252151010']);
    const vitelity = all.find((row) => row.e164 === '+18122154006')!;
    expect(vitelity).to.include({ 'cnam.inbound': 'true', 'cnam.outbound': 'Rose Bud', 'prepend.name': 'Citizen', 'prepend.enabled': 'true', force_outbound: 'false', state: 'in_service' });
    const child: Record<string, string>[] = [];
    await exportNumbers(env, { accounts: ['account0000000000000000000000003'] }, (row) => void child.push(row));
    expect(child.map((row) => row.e164)).to.deep.equal(['+13977031887']);
  });
});
