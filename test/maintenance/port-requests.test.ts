/** migrate_port_requests over the fixture store: what knm_port_request:migrate/0 completes, and nothing twice. */
import { expect } from 'chai';
import { migratedPortRequest, migratePortRequests } from '../../src/maintenance/port-requests';
import { accountDbName } from '../../src/numbers/db-names';
import { loadFixtures, useFixtureStore } from '../helpers/fixture-store';
import { CHILD, MASTER, RESELLER } from '../helpers/kazoo-roles';

const GREAT_GRANDCHILD = 'account0000000000000000000000004';
const MASTERS_CHILD = 'account0000000000000000000044944';

function portRequest(id: string, accountId: string, fields: Record<string, unknown> = {}): { _id: string } & Record<string, unknown> {
  return { _id: id, pvt_type: 'port_request', pvt_account_id: accountId, pvt_port_state: 'submitted', pvt_modified: 63700000000, numbers: { '+14155550100': {} }, ...fields };
}

describe('migrate_port_requests (knm_port_request:migrate/0)', function () {
  this.timeout(60000);
  const suite = useFixtureStore();

  beforeEach(async () => {
    await loadFixtures(suite.fixture.store, suite.fixture.library);
  });

  it('renames superduper_comment to is_private and leaves a complete request alone', () => {
    const complete = { _id: 'a', pvt_tree: [MASTER], pvt_port_authority: MASTER, pvt_port_authority_name: 'Master Account', pvt_account_name: 'Sub Account' };
    expect(migratedPortRequest(complete, { tree: [], accountName: 'x', authority: { id: RESELLER } })).to.equal(undefined);
    const commented = { ...complete, comments: [{ content: 'hi', superduper_comment: true }, { content: 'plain' }] };
    expect(migratedPortRequest(commented, {})?.comments).to.deep.equal([{ content: 'hi', is_private: true }, { content: 'plain' }]);
  });

  it("fills tree, account name and the port authority from the whitelabel documents up the tree, else the master account", async () => {
    const { store } = suite.fixture;
    // the reseller handles its descendants' ports; the child names itself, which counts for its descendants only
    for (const [account, authority] of [[RESELLER, RESELLER], [CHILD, CHILD]]) {
      await store.createDb(accountDbName(account));
      await store.put(accountDbName(account), { _id: 'whitelabel', port: { authority } });
    }
    await store.bulkDocs('port_requests', [
      portRequest('port-child', CHILD, { comments: [{ content: 'note', superduper_comment: false }] }),
      portRequest('port-deep', GREAT_GRANDCHILD, { pvt_account_name: 'kept', pvt_port_authority: RESELLER }),
      portRequest('port-top', MASTERS_CHILD),
      portRequest('port-nobody', 'account00000000000000000000000ff'),
    ]);
    const report = await migratePortRequests(store, 0);
    expect(report.migrated.sort()).to.deep.equal(['port-child', 'port-deep', 'port-top']);
    expect(report.failures).to.deep.equal([{ id: 'port-nobody', reason: 'account account00000000000000000000000ff not found' }]);
    expect(report.unchanged).to.equal(1); // the fixture's own request is complete

    expect(await store.get('port_requests', 'port-child')).to.deep.include({
      pvt_tree: [MASTER, RESELLER],
      pvt_account_name: 'Sub-Sub Account',
      pvt_port_authority: RESELLER,
      pvt_port_authority_name: 'Sub Account',
      comments: [{ content: 'note', is_private: false }],
    });
    // either authority field missing: both are found again (the child's whitelabel names the child); a name already there stays
    expect(await store.get('port_requests', 'port-deep')).to.deep.include({ pvt_account_name: 'kept', pvt_port_authority: CHILD, pvt_port_authority_name: 'Sub-Sub Account' });
    expect(await store.get('port_requests', 'port-top')).to.deep.include({ pvt_tree: [MASTER], pvt_port_authority: MASTER, pvt_port_authority_name: 'Master Account' });

    const again = await migratePortRequests(store, 0);
    expect(again.migrated).to.deep.equal([]);
    expect(again.unchanged).to.equal(4);
  });
});
