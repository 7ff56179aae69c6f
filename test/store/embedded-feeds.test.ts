import { expect } from 'chai';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { dbPath, eventually, http } from './embedded-http';

/** Reads a streaming response line by line until `enough` says stop; returns the JSON lines seen. */
async function readLines(response: Response, enough: (lines: any[]) => boolean): Promise<any[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const lines: any[] = [];
  let buffer = '';
  while (!enough(lines)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line !== '') lines.push(JSON.parse(line));
      newline = buffer.indexOf('\n');
    }
  }
  await reader.cancel().catch(() => undefined);
  return lines;
}

describe('embedded server: _changes and _db_updates feeds', function () {
  let server: EmbeddedServer;
  const call = (method: string, urlPath: string, body?: unknown) => http(server.url, method, urlPath, body);
  const numbers = dbPath('numbers/+1415');
  const put = (id: string, body: Record<string, unknown> = {}) => call('PUT', `${numbers}/${encodeURIComponent(id)}`, body);

  before(async function () {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    await call('PUT', numbers);
    await put('+14150000001', { pvt_state: 'available' });
  });
  after(async function () {
    await server.close();
  });

  describe('_changes', function () {
    it('gives opaque string sequences, the same form as the database info', async function () {
      const feed = await call('GET', `${numbers}/_changes`);
      const info = await call('GET', numbers);
      expect(feed.body.last_seq).to.be.a('string');
      expect(feed.body.last_seq).to.equal(info.body.update_seq);
      expect(feed.body.results[0].seq).to.equal(feed.body.last_seq);
    });

    it('ends an idle longpoll at its timeout with no results and the current last_seq', async function () {
      const now = (await call('GET', numbers)).body.update_seq;
      const answer = await call('GET', `${numbers}/_changes?feed=longpoll&since=now&timeout=200`);
      expect(answer.status).to.equal(200);
      expect(answer.body).to.deep.include({ results: [], last_seq: now });
    });

    it('answers a waiting longpoll with the first write', async function () {
      const since = (await call('GET', numbers)).body.update_seq;
      const waiting = call('GET', `${numbers}/_changes?feed=longpoll&include_docs=true&timeout=10000&since=${encodeURIComponent(since)}`);
      await eventually(() => server.stats().openFeeds === 1);
      await put('+14150000002', { pvt_state: 'reserved' });
      const answer = await waiting;
      expect(answer.body.results).to.have.length(1);
      expect(answer.body.results[0].doc).to.include({ _id: '+14150000002', pvt_state: 'reserved' });
      expect(answer.body.last_seq).to.equal(answer.body.results[0].seq);
    });

    it('keeps a longpoll with a heartbeat alive past any timeout, sending newlines', async function () {
      const waiting = call('GET', `${numbers}/_changes?feed=longpoll&since=now&heartbeat=50&timeout=100`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await put('+14150000003');
      const answer = await waiting;
      expect(answer.text.startsWith('\n')).to.equal(true);
      expect(answer.body.results.map((row: any) => row.id)).to.deep.equal(['+14150000003']);
    });

    it('streams a continuous feed line by line and ends it with last_seq at the limit', async function () {
      const response = await fetch(`${server.url}${numbers}/_changes?feed=continuous&since=now&limit=2&timeout=10000`);
      const reading = readLines(response, (lines) => lines.some((line) => 'last_seq' in line));
      await eventually(() => server.stats().openFeeds === 1);
      await put('+14150000004');
      await put('+14150000005');
      const lines = await reading;
      expect(lines.slice(0, 2).map((line) => line.id)).to.deep.equal(['+14150000004', '+14150000005']);
      expect(lines[2].last_seq).to.equal(lines[1].seq);
    });

    it('cancels longpoll and continuous feeds whose clients went away (no live listener left)', async function () {
      const baseline = server.stats();
      const clients = Array.from({ length: 10 }, () => new AbortController());
      const requests = clients.map((client, index) =>
        fetch(`${server.url}${numbers}/_changes?feed=${index % 2 === 0 ? 'longpoll' : 'continuous'}&since=now&timeout=60000`, { signal: client.signal })
          .then((response) => response.body?.getReader().read())
          .catch(() => undefined),
      );
      await eventually(() => server.stats().openFeeds === baseline.openFeeds + 10);
      expect(server.stats().pouchFeeds).to.be.at.least(baseline.pouchFeeds + 10);
      for (const client of clients) client.abort();
      await Promise.all(requests);
      await eventually(() => server.stats().openFeeds === baseline.openFeeds && server.stats().pouchFeeds === baseline.pouchFeeds);
      // The feeds are gone, not merely unlisted: a write reaches nobody and the server still answers.
      await put('+14150000006');
      expect(server.stats()).to.deep.equal(baseline);
    });

    it('refuses a malformed since with 400, as CouchDB does', async function () {
      const answer = await call('GET', `${numbers}/_changes?since=not-a-seq!`);
      expect(answer.status).to.equal(400);
      expect(answer.body.error).to.equal('bad_request');
    });

    it('rewinds to 0 for a since of a deleted and re-created database instead of silently returning nothing', async function () {
      const db = dbPath('numbers/+1777');
      await call('PUT', db);
      for (let n = 0; n < 5; n += 1) await call('PUT', `${db}/${encodeURIComponent(`+1777000000${n}`)}`, {});
      const old = (await call('GET', `${db}/_changes`)).body.last_seq;
      await call('DELETE', db);
      await call('PUT', db);
      await call('PUT', `${db}/${encodeURIComponent('+17770000009')}`, {});
      const answer = await call('GET', `${db}/_changes?since=${encodeURIComponent(old)}`);
      expect(answer.status).to.equal(200);
      expect(answer.body.results.map((row: any) => row.id)).to.deep.equal(['+17770000009']);
      // A since of this incarnation resumes where it was.
      const resumed = await call('GET', `${db}/_changes?since=${encodeURIComponent(answer.body.last_seq)}`);
      expect(resumed.body.results).to.deep.equal([]);
    });

    it('answers since beyond the end (another server’s number) from 0 too', async function () {
      const answer = await call('GET', `${numbers}/_changes?since=999999`);
      expect(answer.body.results.length).to.be.greaterThan(0);
    });

    it('filters by doc_ids (body) and by a design document filter', async function () {
      const byIds = await call('POST', `${numbers}/_changes?filter=_doc_ids`, { doc_ids: ['+14150000002'] });
      expect(byIds.body.results.map((row: any) => row.id)).to.deep.equal(['+14150000002']);
      await call('PUT', `${numbers}/_design/f`, { filters: { reserved: "function(doc){ return doc.pvt_state === 'reserved'; }" } });
      const filtered = await call('GET', `${numbers}/_changes?filter=f/reserved`);
      expect(filtered.body.results.map((row: any) => row.id)).to.deep.equal(['+14150000002']);
    });

    it('answers 404 for the feed of a database that does not exist', async function () {
      const answer = await call('GET', `${dbPath('numbers/+1000')}/_changes`);
      expect(answer.status).to.equal(404);
    });
  });

  describe('_db_updates', function () {
    it('lists created, updated and deleted databases under their real names', async function () {
      const start = (await call('GET', '/_db_updates?since=now')).body.last_seq;
      await call('PUT', dbPath('numbers/+1212'));
      await call('PUT', `${dbPath('numbers/+1212')}/${encodeURIComponent('+12125550000')}`, {});
      await call('PUT', dbPath('numbers/+1313'));
      await call('DELETE', dbPath('numbers/+1313'));
      await call('PUT', `${dbPath('numbers/+1212')}/_local/checkpoint`, { seq: 'x' });
      const answer = await call('GET', `/_db_updates?since=${encodeURIComponent(start)}`);
      expect(answer.body.results.map((row: any) => [row.db_name, row.type])).to.deep.equal([
        ['numbers/+1212', 'updated'],
        ['numbers/+1313', 'deleted'],
      ]);
      expect(answer.body.last_seq).to.equal(answer.body.results[1].seq);
    });

    it('answers a waiting longpoll with the next write, and ends an idle one at its timeout', async function () {
      const start = (await call('GET', '/_db_updates?since=now')).body.last_seq;
      const idle = await call('GET', `/_db_updates?feed=longpoll&timeout=150&since=${encodeURIComponent(start)}`);
      expect(idle.body).to.deep.equal({ results: [], last_seq: start });

      const waiting = call('GET', `/_db_updates?feed=longpoll&timeout=10000&since=${encodeURIComponent(start)}`);
      await eventually(() => server.stats().openFeeds === 1);
      await call('POST', `${numbers}/_bulk_docs`, { docs: [{ _id: '+14150000010' }] });
      const answer = await waiting;
      expect(answer.body.results).to.have.length(1);
      expect(answer.body.results[0]).to.include({ db_name: 'numbers/+1415', type: 'updated' });
    });

    it('streams a continuous feed and stops it when the client goes away', async function () {
      const client = new AbortController();
      const response = await fetch(`${server.url}/_db_updates?feed=continuous&since=now&timeout=60000`, { signal: client.signal });
      const reading = readLines(response, (lines) => lines.length >= 1);
      await eventually(() => server.stats().openFeeds === 1);
      await call('PUT', dbPath('numbers/+1414'));
      const lines = await reading;
      expect(lines[0]).to.include({ db_name: 'numbers/+1414', type: 'created' });
      client.abort();
      await eventually(() => server.stats().openFeeds === 0);
    });

    it('starts from 0 for a since it does not know (a previous run) and refuses garbage', async function () {
      const unknown = await call('GET', `/_db_updates?since=${encodeURIComponent('5-0123456789abcdef')}`);
      expect(unknown.body.results.map((row: any) => row.db_name)).to.include('numbers/+1415');
      expect((await call('GET', '/_db_updates?since=garbage')).status).to.equal(400);
    });
  });
});
