import { CliResult, runKnm } from '../helpers/cli';
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCsv } from '../../src/tasks/csv';
import { accountDbName } from '../../src/numbers/db-names';
import { CHILD, MASTER, RESELLER, UNRELATED } from '../helpers/kazoo-roles';
import { FixtureStore, startFixtureStore } from '../helpers/fixture-store';

function knm(args: string[], couchUrl: string): Promise<CliResult> {
  return runKnm(args, { COUCH_URL: couchUrl });
}

describe('cli: operators (sup, maintenance, hunt, import, export, status)', function () {
  this.timeout(120000);
  let fixture: FixtureStore;
  let dir: string;

  before(async () => {
    fixture = await startFixtureStore();
    await fixture.store.createDb(accountDbName(RESELLER));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-cli-'));
  });

  after(async () => {
    await fixture.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs generate_numbers as the Kazoo documentation shows it, arguments kept as strings', async () => {
    const result = await knm(['sup', 'kazoo_number_manager_maintenance', 'generate_numbers', 'managed', RESELLER, '2223334000', '5'], fixture.server.url);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('');
    // not a terminal: plain progress lines, the last one when the work is done
    expect(result.stderr).to.match(/^knm sup kazoo_number_manager_maintenance generate_numbers \(numbers\): 5\/5 100\.0% /m);
    expect(await fixture.store.get('numbers/managed', '+2223334004')).to.include({ pvt_account_id: RESELLER, pvt_state: 'available' });
  });

  it('register_views installs the account _design/numbers; a bad account id is one line with the usage, exit 2', async () => {
    const views = await knm(['register-views', '--json'], fixture.server.url);
    expect(views.status, views.stderr).to.equal(0);
    const report = JSON.parse(views.stdout) as { designDocs: { db: string }[]; failures: unknown[] };
    expect(report.failures).to.deep.equal([]);
    expect(report.designDocs.map((deployment) => deployment.db)).to.include(accountDbName(RESELLER));
    expect(await fixture.store.get(accountDbName(RESELLER), '_design/numbers')).to.have.nested.property('views.reconcile_services.reduce');
    const bad = await knm(['sup', 'kazoo_numbers_maintenance', 'update_number_services_view', 'nope'], fixture.server.url);
    expect(bad.status).to.equal(2);
    expect(bad.stderr.trim().split('\n')).to.deep.equal([
      'knm: ACCOUNT_ID must be a 32-character account id or its database name, not "nope"',
      'usage: knm sup kazoo_numbers_maintenance update_number_services_view ACCOUNT_ID',
    ]);
  });

  it("prints carrier_module_usage as Kazoo does, under both module names and the readable name (--json)", async () => {
    const sup = await knm(['sup', 'kazoo_numbers_maintenance', 'carrier_module_usage', '+1555'], fixture.server.url);
    expect(sup.status, sup.stderr).to.equal(0);
    expect(sup.stdout.split('\n')[0]).to.equal('numbers%2F%2B1555:');
    expect(sup.stdout).to.contain('Totals:\n    knm_local: 3\n');
    const readable = await knm(['carrier-module-usage', '+1555', '--json'], fixture.server.url);
    expect(readable.status, readable.stderr).to.equal(0);
    expect(JSON.parse(readable.stdout).totals).to.deep.equal({ knm_local: 3, knm_mdn: 1, knm_pacwest: 1 });
  });

  it('refuses unknown functions and wrong arities with one line naming them, exit 2', async () => {
    const unknown = await knm(['sup', 'kazoo_number_manager_maintenance', 'frobnicate'], fixture.server.url);
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr.trim().split('\n')).to.have.length(2);
    expect(unknown.stderr).to.match(/no function "frobnicate"/);
    const short = await knm(['generate-numbers', 'managed', RESELLER], fixture.server.url);
    expect(short.status).to.equal(2);
    expect(short.stderr).to.equal('knm: generate_numbers needs TYPE ACCOUNT_ID START QUANTITY\nusage: knm generate-numbers TYPE ACCOUNT_ID START QUANTITY\n');
    const badType = await knm(['sup', 'kazoo_number_manager_maintenance', 'generate_numbers', 'local', RESELLER, '2223334000', '5'], fixture.server.url);
    expect(badType.status).to.equal(2);
    expect(badType.stderr).to.match(/TYPE must be managed or inum/);
  });

  it("prints Kazoo's feature permission lines; an unknown feature lists the known ones and exits 1", async () => {
    const known = await knm(['sup', 'kazoo_number_manager_maintenance', 'add_allowed_feature_on_number', 'prepend', '+15551255693'], fixture.server.url);
    expect(known.status, known.stderr).to.equal(0);
    expect(known.stdout).to.equal('Feature permissions on +15551255693:\n\tFeatures allowed: prepend\n\tFeatures denied: \n');
    const unknown = await knm(['add-allowed-feature-on-number', 'teleport', '+15551255693'], fixture.server.url);
    expect(unknown.status).to.equal(1);
    expect(unknown.stdout.split('\n')[0]).to.equal("Feature 'teleport' is not a known feature.");
    expect(unknown.stdout).to.contain('Known features:\n\tcarrier_name, cnam, e911, failover');
  });

  it('completes a pending port on --inbound', async () => {
    const result = await knm(['hunt', '+14252151008', '--inbound', '--json'], fixture.server.url);
    expect(result.status, result.stderr).to.equal(0);
    const answer = JSON.parse(result.stdout);
    expect(answer).to.include({ pending_port: true });
    expect(answer.port_in_transition.kind).to.equal('updated');
    expect(await fixture.store.get('numbers/+1425', '+14252151008')).to.include({ pvt_state: 'in_service', pvt_ported_in: true });
  });

  it('hunts: JSON props and exit 0; a refusal exits 1 with its error', async () => {
    const found = await knm(['hunt', '+15551233322', '--json'], fixture.server.url);
    expect(found.status, found.stderr).to.equal(0);
    expect(JSON.parse(found.stdout)).to.include({ account_id: RESELLER, local: true, pending_port: false });
    const unassigned = await knm(['hunt', '+15551239876'], fixture.server.url);
    expect(unassigned.status).to.equal(1);
    expect(unassigned.stderr).to.match(/unassigned/);
  });

  it('imports a CSV: results file with the error column, failures listed, exit 1; --json prints only the report', async () => {
    const file = path.join(dir, 'numbers.csv');
    fs.writeFileSync(file, 'e164,prepend.name\n+14158867930,Sales\n+15551233322,\n+14158867931,\n');
    const noAccount = await knm(['import', file], fixture.server.url);
    expect(noAccount.status).to.equal(2);
    expect(noAccount.stderr).to.match(/needs --account ID/);
    const result = await knm(['import', file, '--account', RESELLER, '--json'], fixture.server.url);
    expect(result.status, result.stderr).to.equal(1);
    const report = JSON.parse(result.stdout);
    expect(report).to.include({ action: 'import', rows: 3, succeeded: 2 });
    expect(report.failed).to.deep.equal([{ line: 3, e164: '+15551233322', error: 'number +15551233322 already exists' }]);
    const results = parseCsv(fs.readFileSync(path.join(dir, 'numbers.results.csv'), 'utf8'));
    expect(results[0][results[0].length - 1]).to.equal('error');
    expect(results.slice(1).map((row) => [row[0], row[row.length - 1]])).to.deep.equal([
      ['+14158867930', ''],
      ['+15551233322', 'number +15551233322 already exists'],
      ['+14158867931', ''],
    ]);
    const badAction = await knm(['import', file, '--action', 'explode'], fixture.server.url);
    expect(badAction.status).to.equal(2);
    expect(badAction.stderr).to.match(/--action must be one of import, assign_to/);
  });

  it('exports reserved numbers as CSV with the 26 list columns', async () => {
    const result = await knm(['export', '--state', 'reserved'], fixture.server.url);
    expect(result.status, result.stderr).to.equal(0);
    const rows = parseCsv(result.stdout);
    expect(rows[0]).to.have.length(26);
    expect(rows.slice(1).map((row) => row[0]).sort()).to.deep.equal(['+14242424247', '+14242424248', '+14252151010']);
  });

  it('exports as an account with Kazoo\'s rules: only the master dumps, list drops what the account may not fetch', async () => {
    const rowsOf = async (args: string[]) => {
      const result = await knm(['export', ...args], fixture.server.url);
      expect(result.status, result.stderr).to.equal(0);
      const [header, ...rows] = parseCsv(result.stdout);
      return rows.map((row) => ({ e164: row[0], state: row[header.indexOf('state')] }));
    };
    const held = await rowsOf(['--account', RESELLER]);
    const states = [...new Set(held.map((row) => row.state))];
    expect(states, 'the reseller holds numbers in and out of the states anyone may fetch').to.include.members(['in_service', 'reserved']);
    expect(await rowsOf(['--account', RESELLER, '--as', RESELLER])).to.deep.equal(held);
    expect(await rowsOf(['--account', RESELLER, '--as', MASTER])).to.deep.equal(held);
    // a sub-account sees its parent's reservations (knm_phone_number:is_reserved_from_parent/1); an unrelated one neither
    expect(await rowsOf(['--account', RESELLER, '--as', CHILD])).to.deep.equal(held.filter((row) => row.state === 'available' || row.state === 'reserved'));
    expect(await rowsOf(['--account', RESELLER, '--as', UNRELATED])).to.deep.equal(held.filter((row) => row.state === 'available'));
    // list_all fetches as system
    expect(await rowsOf(['--account', RESELLER, '--descendants', '--as', UNRELATED])).to.deep.equal(await rowsOf(['--account', RESELLER, '--descendants']));

    expect(await rowsOf(['--state', 'reserved', '--as', MASTER])).to.have.length(3);
    const refused = await knm(['export', '--as', RESELLER], fixture.server.url);
    expect(refused.status).to.equal(2);
    expect(refused.stderr.split('\n')[0]).to.equal(`knm: --as ${RESELLER} may not list every number: only the master account or system may (Kazoo's dump); add --account ID`);
  });

  it('reports status as JSON', async () => {
    const result = await knm(['status', '--json'], fixture.server.url);
    expect(result.status, result.stderr).to.equal(0);
    const status = JSON.parse(result.stdout);
    expect(status.totals.states.reserved).to.equal(3);
    expect(status.databases.map((db: { db: string }) => db.db)).to.include('numbers/managed');
  });
});
