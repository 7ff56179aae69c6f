import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpFailure, httpTransport } from '../../src/store/transport';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly socket: unknown;
}

/** A server on a free loopback port that records each request and answers with `answer`. */
async function recordingServer(answer: (seen: Seen, res: http.ServerResponse, count: number) => void): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, socket: req.socket };
      seen.push(entry);
      answer(entry, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const json = (res: http.ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('store: HTTP transport', () => {
  it('builds requests as CouchDB reads them: database encoded, path as given, key-like parameters as JSON, credentials as basic auth', async () => {
    const server = await recordingServer((_seen, res) => json(res, 200, { ok: true }));
    try {
      const send = httpTransport(server.url.replace('http://', 'http://admin:p%40ss@'));
      expect(await send({ method: 'POST', db: 'numbers/+1415', path: '_all_docs', qs: { include_docs: true, startkey: ['a'], limit: 2, skip: undefined }, body: '{"keys":["+14155550100"]}' })).to.deep.equal({ ok: true });
      const [request] = server.seen;
      expect(request.method).to.equal('POST');
      expect(decodeURIComponent(request.url)).to.equal('/numbers/+1415/_all_docs?include_docs=true&startkey=["a"]&limit=2');
      expect(request.url.startsWith('/numbers%2F%2B1415/_all_docs?')).to.equal(true);
      expect(request.body).to.equal('{"keys":["+14155550100"]}');
      expect(request.headers).to.include({ authorization: `Basic ${Buffer.from('admin:p@ss').toString('base64')}`, 'content-type': 'application/json', accept: 'application/json' });
    } finally {
      await server.close();
    }
  });

  it("answers a refusal as CouchDB gave it: status, error and reason", async () => {
    const server = await recordingServer((_seen, res) => json(res, 409, { error: 'conflict', reason: 'Document update conflict.' }));
    try {
      const failure = await httpTransport(server.url)({ method: 'PUT', db: 'accounts', path: 'x', body: '{}' }).then(() => undefined, (error: unknown) => error);
      expect(failure).to.be.instanceOf(HttpFailure);
      expect(failure).to.include({ statusCode: 409, error: 'conflict', reason: 'Document update conflict.', message: 'Document update conflict.' });
    } finally {
      await server.close();
    }
  });

  it('keeps the connection alive, and sends again once a request whose kept-alive connection the server dropped', async () => {
    // the third request arrives on the connection of the first two: the server drops it unanswered
    const server = await recordingServer((seen, res, count) => (count === 3 ? (seen.socket as { destroy(): void }).destroy() : json(res, 200, { count })));
    try {
      const send = httpTransport(server.url);
      expect(await send({ method: 'GET', path: '_up' })).to.deep.equal({ count: 1 });
      expect(await send({ method: 'GET', path: '_up' })).to.deep.equal({ count: 2 });
      expect(server.seen[0].socket).to.equal(server.seen[1].socket);
      expect(await send({ method: 'POST', db: 'numbers/+1415', path: '_bulk_docs', body: '{"docs":[]}' })).to.deep.equal({ count: 4 });
      expect(server.seen[3].socket).to.not.equal(server.seen[2].socket);
    } finally {
      await server.close();
    }
  });

  it('reaches a server at an IPv6 address written in brackets', async function () {
    const server = http.createServer((_req, res) => json(res, 200, { couchdb: 'Welcome' }));
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    if (!listening) this.skip(); // no IPv6 loopback on this machine
    try {
      const { port } = server.address() as AddressInfo;
      expect(await httpTransport(`http://[::1]:${port}`)({ method: 'GET' })).to.deep.equal({ couchdb: 'Welcome' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives up when its signal fires, with the signal\'s reason', async () => {
    const server = await recordingServer(() => undefined); // never answers
    try {
      const failure = await httpTransport(server.url)({ method: 'GET', db: 'numbers/+1415', path: '_changes', signal: AbortSignal.timeout(50) }).then(() => undefined, (error: unknown) => error);
      expect(failure).to.be.instanceOf(Error);
      expect((failure as Error).name).to.equal('TimeoutError');
    } finally {
      await server.close();
    }
  });
});
