/**
 * The pipeline, the hunt index it keeps current, and the operator endpoint (/healthz, /metrics, /hunt/NUMBER) as
 * `knm start` services (src/cli/start-services.ts). Settings from
 * the environment: KNM_PURGE_INTERVAL_S (default 3600), KNM_HTTP_PORT (default 9184, loopback), KNM_LOG
 * (error, warn — the default —, info, debug), KNM_LEASE_S (lease period, default 15, decimals allowed) and
 * KNM_WORKER_ID (default host-pid-random; a fixed id lets a restarted worker take its leases straight back),
 * KNM_HUNT_WARM (1, the default, loads the hunt index from each leased database in the background; 0 does not).
 * Every worker shares the number databases with the others through leases (leases/leases.ts); alone, it
 * holds them all.
 *
 * KNM_TEST_CARRIERS, for tests only and honoured only when set: a module whose `carrierFor(module)` answers
 * before the carrier registry (test/helpers/shared-counting-carrier.ts).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Carrier } from '../carriers/carrier';
import { carrierFor } from '../carriers/registry';
import { startOperatorEndpoint, DEFAULT_HTTP_PORT } from '../http/server';
import { startLiveHunt, type LiveHunt } from '../hunt/live';
import { KnmError } from '../errors';
import type { StartService } from '../cli/start-services';
import { openLeases } from './leases/leases';
import { jsonLogger, logLevelFrom } from './log';
import { startPipeline, type Pipeline } from './pipeline';

/** Shared by the two services: the endpoint reports on the pipeline started just before it and serves its hunt index. */
let running: { pipeline: Pipeline; hunt: LiveHunt } | undefined;

export const pipelineService: StartService = {
  name: 'changes pipeline',
  async start({ store, env, log }) {
    const purgeIntervalS = positiveInteger(env, 'KNM_PURGE_INTERVAL_S', 3600);
    const leaseS = positiveSeconds(env, 'KNM_LEASE_S', 15);
    const workerId = env.KNM_WORKER_ID !== undefined && env.KNM_WORKER_ID.trim() !== '' ? env.KNM_WORKER_ID.trim() : `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const logger = jsonLogger(logLevelFrom(env.KNM_LOG));
    const leases = await openLeases({ store, workerId, host: os.hostname(), pid: process.pid, leaseMs: Math.round(leaseS * 1000), logger });
    const carriers = testCarriers(env);
    const hunt = await startLiveHunt({
      store,
      logger,
      holds: (db) => leases.holds(db),
      warm: huntWarm(env),
      configProblem: (problem) => log(`system_config/number_manager: ${problem}`),
    });
    const pipeline = await startPipeline({
      store,
      logger,
      purgeIntervalMs: purgeIntervalS * 1000,
      leases: hunt.watchLeases(leases),
      onChange: hunt.onChange,
      env,
      notifications: { workerId },
      ...(carriers !== undefined ? { carriers: (module: string) => carriers(module) ?? carrierFor(module) } : {}),
    }).catch(async (error: unknown) => {
      await hunt.stop();
      throw error;
    });
    running = { pipeline, hunt };
    log(`changes pipeline: worker ${workerId} sharing the number databases through leases of ${leaseS} s (purge every ${purgeIntervalS} s)`);
    return {
      async stop() {
        await pipeline.stop();
        await hunt.stop();
        running = undefined;
      },
    };
  },
};

export const operatorEndpointService: StartService = {
  name: 'operator endpoint',
  async start({ env, log }) {
    if (running === undefined) return;
    const { pipeline, hunt } = running;
    const port = positiveInteger(env, 'KNM_HTTP_PORT', DEFAULT_HTTP_PORT, true);
    let endpoint;
    try {
      const figures = { health: () => pipeline.health(), renderMetrics: () => pipeline.renderMetrics() + hunt.renderMetrics() };
      endpoint = await startOperatorEndpoint(figures, port, hunt.handler);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EADDRINUSE') {
        throw new KnmError('unavailable', 503, `cannot serve /healthz, /metrics and /hunt on 127.0.0.1:${port}: the port is in use`, { hint: 'set KNM_HTTP_PORT to a free port' });
      }
      throw error;
    }
    log(`operator endpoint ${endpoint.url}/healthz, /metrics and /hunt/NUMBER`);
    return { stop: () => endpoint.close() };
  },
};

function positiveSeconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0.3) {
    throw new KnmError('bad_config', 400, `${name} must be a number of seconds of at least 0.3, not "${raw}"`, { hint: `unset ${name} to use ${fallback}` });
  }
  return value;
}

function huntWarm(env: NodeJS.ProcessEnv): boolean {
  const raw = env.KNM_HUNT_WARM?.trim();
  if (raw === undefined || raw === '' || raw === '1') return true;
  if (raw === '0') return false;
  throw new KnmError('bad_config', 400, `KNM_HUNT_WARM must be 0 or 1, not "${raw}"`, { hint: 'unset KNM_HUNT_WARM to warm the hunt index at start' });
}

function testCarriers(env: NodeJS.ProcessEnv): ((module: string) => Carrier | undefined) | undefined {
  const file = env.KNM_TEST_CARRIERS;
  if (file === undefined || file.trim() === '') return undefined;
  // require, not import(): under tsx a test module in TypeScript loads through the CommonJS hook only.
  const loaded = createRequire(__filename)(path.resolve(file)) as { carrierFor?: unknown };
  if (typeof loaded.carrierFor !== 'function') {
    throw new KnmError('bad_config', 400, `KNM_TEST_CARRIERS=${file} exports no carrierFor(module)`, { hint: 'unset KNM_TEST_CARRIERS (it is for tests only)' });
  }
  return loaded.carrierFor as (module: string) => Carrier | undefined;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, zeroAllowed = false): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    throw new KnmError('bad_config', 400, `${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, not "${raw}"`, { hint: `unset ${name} to use ${fallback}` });
  }
  return value;
}
