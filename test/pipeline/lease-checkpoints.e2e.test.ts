import { expect } from 'chai';
import { openLeases, readWorkersDb, type Leases } from '../../src/pipeline/leases/leases';
import { silentLogger } from '../../src/pipeline/log';
import { PIPELINE_DB } from '../../src/pipeline/state-store';
import { acquiredMarker, eventually, fixtureDoc, kazooWrite, numberDb, readDoc, startHarness, type Harness } from './harness';

/** Found at knm_bandwidth2 just now, in two number databases. */
const NUMBERS = ['+14122065301', '+14122065302', '+14132065303'];

describe('pipeline with leases: the checkpoint lives in the lease, knm_pipeline only remembers numbers', function () {
  this.timeout(60_000);
  let harness: Harness;

  afterEach(async function () {
    await harness.close();
  });

  const leasesOf = (workerId: string): Promise<Leases> =>
    openLeases({ store: harness.store, workerId, host: 'test', pid: process.pid, leaseMs: 1_500, logger: silentLogger });
  const read = async (count: number): Promise<void> => {
    await eventually('the numbers read', async () => {
      await harness.pipeline?.idle();
      return (harness.pipeline?.metrics.total('knm_pipeline_changes_processed_total') ?? 0) >= count ? true : undefined;
    });
  };

  it('writes no checkpoint documents beside the leases; a worker taking the leases over reads on from their checkpoints', async function () {
    harness = await startHarness();
    for (const number of NUMBERS) {
      await kazooWrite(harness.server.url, number, () => ({ ...fixtureDoc('+14122065197'), _id: number, pvt_db_name: encodeURIComponent(numberDb(number)), pvt_assigned_to: undefined, pvt_modified: harness.now }));
    }
    await harness.start({ leases: await leasesOf('first') });
    await read(NUMBERS.length);
    await harness.pipeline?.stop();

    const remembered = (await harness.store.view(PIPELINE_DB, 'knm_pipeline', 'seen_by_db')).rows.map((row) => String(row.id));
    expect(remembered.sort()).to.deep.equal(NUMBERS.map((number) => `seen:${numberDb(number)}:${number}`).sort());
    const allIds = (await harness.store.changes(PIPELINE_DB)).results.map((row) => row.id);
    expect(allIds.filter((id) => id.startsWith('checkpoint:'))).to.deep.equal([]);
    const leases = (await readWorkersDb(harness.store)).leases;
    for (const db of new Set(NUMBERS.map(numberDb))) expect(leases.get(db)?.checkpoint, db).to.be.a('string');

    // The next worker reads nothing again, and still knows the numbers were in discovery.
    await harness.start({ leases: await leasesOf('second') });
    await kazooWrite(harness.server.url, NUMBERS[0], (doc) => ({ ...doc, pvt_state: 'in_service' }));
    await eventually('the acquisition', async () => (acquiredMarker(await readDoc(harness.store, NUMBERS[0])) !== undefined ? true : undefined));
    await harness.pipeline?.idle();
    // The in_service write and knm's own write back; read from the start, the feed would hold every number again.
    expect(harness.pipeline?.metrics.total('knm_pipeline_changes_processed_total')).to.be.below(NUMBERS.length);
    expect(harness.carrier.count('acquire')).to.equal(1);
  });
});
