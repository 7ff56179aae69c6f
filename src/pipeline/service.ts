/**
 * The pipeline and its operator endpoint as `knm start` services (src/cli/start-services.ts). Settings from
 * the environment: KNM_PURGE_INTERVAL_S (default 3600), KNM_HTTP_PORT (default 9184, loopback), KNM_LOG
 * (error, warn — the default —, info, debug).
 */
import { startOperatorEndpoint, DEFAULT_HTTP_PORT } from '../http/server';
import { KnmError } from '../errors';
import type { StartService } from '../cli/start-services';
import { jsonLogger, logLevelFrom } from './log';
import { startPipeline, type Pipeline } from './pipeline';

/** Shared by the two services: the endpoint reports on the pipeline started just before it. */
let running: Pipeline | undefined;

export const pipelineService: StartService = {
  name: 'changes pipeline',
  async start({ store, env, log }) {
    const purgeIntervalS = positiveInteger(env, 'KNM_PURGE_INTERVAL_S', 3600);
    const pipeline = await startPipeline({ store, logger: jsonLogger(logLevelFrom(env.KNM_LOG)), purgeIntervalMs: purgeIntervalS * 1000 });
    running = pipeline;
    log(`changes pipeline following the number databases (purge every ${purgeIntervalS} s)`);
    return {
      async stop() {
        await pipeline.stop();
        running = undefined;
      },
    };
  },
};

export const operatorEndpointService: StartService = {
  name: 'operator endpoint',
  async start({ env, log }) {
    const pipeline = running;
    if (pipeline === undefined) return;
    const port = positiveInteger(env, 'KNM_HTTP_PORT', DEFAULT_HTTP_PORT, true);
    let endpoint;
    try {
      endpoint = await startOperatorEndpoint(pipeline, port);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EADDRINUSE') {
        throw new KnmError('unavailable', 503, `cannot serve /healthz and /metrics on 127.0.0.1:${port}: the port is in use`, { hint: 'set KNM_HTTP_PORT to a free port' });
      }
      throw error;
    }
    log(`operator endpoint ${endpoint.url}/healthz and /metrics`);
    return { stop: () => endpoint.close() };
  },
};

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, zeroAllowed = false): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    throw new KnmError('bad_config', 400, `${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, not "${raw}"`, { hint: `unset ${name} to use ${fallback}` });
  }
  return value;
}
