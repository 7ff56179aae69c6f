/**
 * No test reaches the internet: a mocha root hook (loaded by .mocharc.json) that refuses every fetch to a host
 * other than loopback, and fails the test that tried, naming the URL. Carriers and providers speak HTTP through
 * fetch, so a default URL left in a test (DASH's, Telnyx's) shows up here instead of leaving the machine.
 */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const realFetch = globalThis.fetch;
const attempts: string[] = [];

function hostOf(input: Parameters<typeof fetch>[0]): { url: string; host: string } {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return { url, host: new URL(url).hostname };
}

export const mochaHooks = {
  beforeAll(): void {
    globalThis.fetch = (input, init) => {
      const { url, host } = hostOf(input);
      if (LOOPBACK.has(host)) return realFetch(input, init);
      attempts.push(url);
      return Promise.reject(new TypeError(`fetch failed: tests may not reach ${host}`));
    };
  },
  afterEach(): void {
    const tried = attempts.splice(0);
    if (tried.length > 0) throw new Error(`this test tried to reach the internet: ${[...new Set(tried)].join(', ')}`);
  },
  afterAll(): void {
    globalThis.fetch = realFetch;
  },
};
