/** The number_management tasks `find` (a row action) and `list_all` (the task account and its descendants) over the fixture store. */
import { expect } from 'chai';
import { descendantsOf } from '../../src/maintenance/accounts';
import { exportNumbers } from '../../src/tasks/export';
import { runRows } from '../../src/tasks/number-tasks';
import { runKnm } from '../helpers/cli';
import { useFixtureStore } from '../helpers/fixture-store';
import { CHILD, RESELLER } from '../helpers/kazoo-roles';

describe('tasks: find and list_all', function () {
  this.timeout(60000);
  const suite = useFixtureStore();

  it('find: the listing row of each number the auth account may fetch, the error of the others', async () => {
    const asReseller = { env: suite.env, authBy: RESELLER, taskAccount: RESELLER, superAdmin: false, importDefaultCarrier: 'knm_local' };
    const rows = await runRows(asReseller, 'find', [{ e164: '+13977031887' }, { e164: '+15551239876' }, { e164: '+14156301234' }, { e164: '4156301234' }]);
    expect(rows[0]).to.include({ e164: '+13977031887', account_id: CHILD, account_name: 'Sub-Sub Account', state: 'in_service', used_by: 'callflow', error: '' });
    expect(rows[1]).to.include({ e164: '+15551239876', state: 'available', error: '' });
    expect(rows[2]).to.include({ e164: '+14156301234', error: 'number +14156301234 not found' });
    expect(rows[3].error).to.match(/^invalid e164/);
    // a child may not fetch its reseller's number in service
    const asChild = { ...asReseller, authBy: CHILD, taskAccount: CHILD };
    expect((await runRows(asChild, 'find', [{ e164: '+15551233322' }]))[0]).to.include({ error: 'requestor is unauthorized to perform operation' });
  });

  it("list_all: the numbers of the account and of every descendant (knm export --account ID --descendants)", async () => {
    expect(await descendantsOf(suite.fixture.store, RESELLER)).to.deep.equal([CHILD, 'account0000000000000000000000004']);
    const own: string[] = [];
    await exportNumbers(suite.env, { accounts: [RESELLER] }, (row) => void own.push(row.e164));
    const all: string[] = [];
    await exportNumbers(suite.env, { accounts: [RESELLER, ...(await descendantsOf(suite.fixture.store, RESELLER))] }, (row) => void all.push(row.e164));
    expect(own).to.not.include('+13977031887');
    expect(all.sort()).to.deep.equal([...own, '+13977031887'].sort());

    const cli = await runKnm(['export', '--account', RESELLER, '--descendants', '--json'], { COUCH_URL: suite.fixture.server.url });
    expect(cli.status, cli.stderr).to.equal(0);
    expect((JSON.parse(cli.stdout) as { e164: string }[]).map((row) => row.e164).sort()).to.deep.equal(all.sort());
    const bad = await runKnm(['export', '--descendants'], { COUCH_URL: suite.fixture.server.url });
    expect(bad.status).to.equal(2);
    expect(bad.stderr.trim().split('\n')).to.deep.equal(['knm: --descendants needs --account ID: the account whose descendants to list', 'usage: knm export']);
  });
});
