/**
 * The feature provider contract (Kazoo's `knm_gen_provider`, providers.md §1), as the changes pipeline
 * calls it: a provider is told when a number gains, changes or loses one of its features, whoever wrote
 * the change (knm, crossbar, a script with curl). Providers live beside the carriers; registry.ts names them.
 */
import type { JsonValue } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import type { Store } from '../store/client';

/** One feature of one number as the document holds it: the public request and the active `pvt_features` entry. */
export interface FeatureView {
  /** The public key that requests the feature (`e911`, `cnam`, …), if the document has it. */
  readonly requested?: JsonValue;
  /** `pvt_features.<feature>`, if the feature is active. */
  readonly active?: JsonValue;
}

export interface FeatureChange {
  /** The number database the change was read from (`numbers/+1415`). */
  readonly db: string;
  readonly number: string;
  /** Feature name as in `pvt_features` / the public document (`e911`, `cnam`, `port`, …). */
  readonly feature: string;
  /** Undefined: the number did not have the feature (gained). */
  readonly before: FeatureView | undefined;
  /** Undefined: the number no longer has the feature (lost, or the number is gone). */
  readonly after: FeatureView | undefined;
  /** The number as it is now; undefined when its document was deleted. */
  readonly record: NumberRecord | undefined;
}

export interface ProviderContext {
  readonly store: Store;
  /** Gregorian seconds. */
  readonly now: number;
}

export interface FeatureProvider {
  /** Kazoo's module name (`knm_dash_e911`, `knm_cnam_notifier`, `knm_port_notifier`, …). */
  readonly module: string;
  /**
   * Tells the provider about one change. Resolving means the provider has taken it; a rejection is
   * logged and counted by the caller, and the notice is given again when the feature changes again.
   */
  onFeatureChange(change: FeatureChange, context: ProviderContext): Promise<void>;
}
