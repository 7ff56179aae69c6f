import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOperatorEndpoint } from '../../src/http/server';
import { PipelineMetrics } from '../../src/pipeline/metrics';
import { REPO_ROOT } from '../helpers/fixtures';
import { eventually, fixtureDoc, kazooWrite } from './harness';
import { freePort } from '../helpers/free-port';

describe('operator endpoint', function () {
  it('answers /healthz by the pipeline health (200 ok, 503 otherwise) and /metrics in Prometheus text', async function () {
    const metrics = new PipelineMetrics();
    let status: 'ok' | 'degraded' = 'ok';
    metrics.changeProcessed(3);
    metrics.reaction('acquire');
    metrics.lagChanges('numbers/+1415', 2);
    metrics.carrierCall('acquire', 'knm_bandwidth2', 0.02);
    const endpoint = await startOperatorEndpoint(
      { health: () => ({ status, storeReachable: status === 'ok', followedDatabases: 1, busyDatabases: 0 }), renderMetrics: () => metrics.render() },
      0,
    );
    try {
      const healthy = await fetch(`${endpoint.url}/healthz`);
      expect(healthy.status).to.equal(200);
      expect(await healthy.json()).to.include({ status: 'ok', storeReachable: true });
      status = 'degraded';
      expect((await fetch(`${endpoint.url}/healthz`)).status).to.equal(503);

      const scraped = await fetch(`${endpoint.url}/metrics`);
      expect(scraped.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      const text = await scraped.text();
      expect(text).to.include('knm_pipeline_changes_processed_total 3\n');
      expect(text).to.include('knm_pipeline_reactions_total{kind="acquire"} 1\n');
      expect(text).to.include('knm_pipeline_lag_changes{db="numbers/+1415"} 2\n');
      expect(text).to.include('knm_pipeline_carrier_call_seconds_bucket{operation="acquire",module="knm_bandwidth2",le="0.05"} 1\n');
      expect(text).to.include('knm_pipeline_carrier_call_seconds_bucket{operation="acquire",module="knm_bandwidth2",le="0.01"} 0\n');
      expect(text).to.include('# TYPE knm_pipeline_carrier_call_seconds histogram');
      expect((await fetch(`${endpoint.url}/nothing`)).status).to.equal(404);
    } finally {
      await endpoint.close();
    }
  });
});

describe('knm start runs the pipeline and the endpoint', function () {
  this.timeout(60_000);
  let dataDir: string;

  beforeEach(function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-start-pipeline-'));
  });
  afterEach(function () {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('follows a number database written over HTTP, reports it on /metrics, logs JSON lines, and exits 0 on SIGTERM', async function () {
    const [couchPort, httpPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join('src', 'cli', 'main.ts'), 'start'], {
      cwd: REPO_ROOT,
      env: { ...process.env, COUCH_URL: '', KNM_COUCH_PORT: String(couchPort), KNM_HTTP_PORT: String(httpPort), KNM_DATA_DIR: dataDir, KNM_LOG: 'info', KNM_PURGE_INTERVAL_S: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const endpoint = `http://127.0.0.1:${httpPort}`;
      await eventually('/healthz', async () => ((await fetch(`${endpoint}/healthz`)).status === 200 ? true : undefined), 30_000);
      const storeUrl = `http://127.0.0.1:${couchPort}`;
      await kazooWrite(storeUrl, '+14122065197', () => fixtureDoc('+14122065197'));
      const metrics = await eventually('the change on /metrics', async () => {
        const text = await (await fetch(`${endpoint}/metrics`)).text();
        const processed = /^knm_pipeline_changes_processed_total (\d+)$/m.exec(text);
        return processed !== null && Number(processed[1]) >= 1 ? text : undefined;
      }, 20_000);
      expect(metrics).to.match(/knm_pipeline_followed_databases [1-9]/);
      const events = stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { event: string; level: string });
      expect(events.map((event) => event.event)).to.include('pipeline_started');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
    expect(stderr).to.include('"event":"pipeline_stopped"');
  });
});
