/**
 * What `knm start` runs once the store answers, in order; they are stopped in reverse order on SIGTERM or
 * SIGINT. The bootstrap of databases and design documents comes first, then (as they are built) the
 * changes pipeline and the HTTP endpoint. Add a service by appending it here.
 */
import { operatorEndpointService, pipelineService } from '../pipeline/service';
import { bootstrapService } from './commands/bootstrap';
import type { Store } from '../store/client';
import type { StoreTarget } from '../store/connection';

export interface StartContext {
  store: Store;
  /** Where the store is: the embedded server's address, or the CouchDB named by COUCH_URL / --couch. */
  target: StoreTarget;
  /** True when this process serves the embedded store itself. */
  servesEmbeddedStore: boolean;
  env: NodeJS.ProcessEnv;
  /** Progress and notices (stderr): stdout belongs to the command's result. */
  log: (line: string) => void;
}

export interface RunningService {
  stop(): Promise<void>;
}

export interface StartService {
  name: string;
  /** Starts the service; resolves once it runs. Returning nothing means there is nothing to stop. */
  start(context: StartContext): Promise<RunningService | void>;
}

export const startServices: StartService[] = [bootstrapService, pipelineService, operatorEndpointService];
