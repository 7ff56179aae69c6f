/**
 * The feature provider contract, Kazoo's `knm_gen_provider` behaviour (providers.md §1): a provider
 * reconciles a number's public request for its feature (`e911`, `cnam`, `prepend`, …) with what
 * `pvt_features` records as provisioned, talking to an external system when it has one. knm_providers
 * (run.ts) decides which providers run and in which order; the lifecycle calls them before it saves a number
 * (knm_ops:save_numbers/1) and the changes pipeline calls them for numbers other tools wrote.
 *
 * A provider is pure apart from the calls it makes through its context: it returns the number it wants
 * saved, and never writes a document itself. Adding one is adding one file and a line in registry.ts.
 */
import type { NumberManagerConfig } from '../config/number-manager';
import type { JsonObject, JsonValue } from '../documents/json';
import type { NumberRecord } from '../documents/types';

/**
 * A notice Kazoo would publish on AMQP for people (kapi_notifications): knm records it as a document in the
 * `notifications` database and delivers it to the configured webhook (notifications.ts).
 */
export interface Notice {
  /** Kazoo's notification name: `port_request`, `ported`, `cnam_request`, `number_feature_manual_action`. */
  readonly kind: string;
  readonly number: string;
  readonly accountId: string | undefined;
  /** The notification's fields as Kazoo publishes them (`Account-ID`, `Number-State`, `Local-Number`, …). */
  readonly payload: JsonObject;
  /**
   * What the number held before the change this notice reports (e.g. the previous `outbound_cnam`): part of the
   * notice's identity, so a return to an earlier value is a new notice while a replay of the same change is not.
   */
  readonly supersedes?: JsonValue;
}

export interface ProviderContext {
  /**
   * The number manager configuration that applies to this number: system_config/number_manager with the
   * reseller's `configs_number_manager` over it (kapps_account_config:get_from_reseller/3).
   */
  readonly config: NumberManagerConfig;
  /** `system_config/number_manager.<key>`, e.g. `dash_e911` or `telnyx` (the provider's own settings), under its `KNM_<KEY>_*` environment overrides. */
  readonly settings: (key: string) => JsonObject;
  /** `auth_by` of the save: an account id, `system`, or undefined. */
  readonly authBy: string | undefined;
  /** knm_phone_number:is_admin/1: `system` or a super-duper admin. */
  readonly isAdmin: boolean;
  /** Kazoo's `dry_run` option: providers skip their external calls and notices (providers.md §7.0). */
  readonly dryRun: boolean;
  /** Gregorian seconds. */
  readonly now: number;
  /** The name of an account (for E911's caller name, providers.md §5); undefined when unknown. */
  readonly accountName: (accountId: string) => Promise<string | undefined>;
  /**
   * Publishes a notice. It is recorded once per number, kind and content (a replay, a retry or a second
   * worker publishing the same notice records nothing new).
   */
  readonly notify: (notice: Notice) => Promise<void>;
  /** Where providers with an HTTP API send their requests; tests point it at a mock server. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** knm_util:pretty_print/1 with the configured classifiers (notices show the number this way); absent: the E.164 form. */
  readonly prettyPrint?: (number: string) => string;
}

export interface FeatureProvider {
  /** Kazoo's module name (`knm_dash_e911`, `knm_cnam_notifier`, `knm_prepend`, …). */
  readonly module: string;
  /**
   * Whether its save may act beyond the number document: call a carrier's API or publish a notice. Such a save must
   * only run for a decision made on the number as stored, so the batch create reads those numbers first instead of
   * learning from a write conflict that they exist (lifecycle/batch.ts).
   */
  readonly reachesOutside: boolean;
  /**
   * knm_gen_provider:save/1: the number with this provider's features reconciled. Throws a KnmError with
   * Kazoo's code (403 forbidden, 400 invalid, 500 unspecified_fault) when the provider refuses.
   */
  save(record: NumberRecord, context: ProviderContext): Promise<NumberRecord>;
  /** knm_gen_provider:delete/1: the number with this provider's features removed (and deregistered). */
  delete(record: NumberRecord, context: ProviderContext): Promise<NumberRecord>;
  /** knm_gen_provider:available/1; absent means available (Kazoo: callback not exported → true). */
  available?(record: NumberRecord, context: ProviderContext): boolean;
  /** knm_gen_provider:settings/1: read-only settings shown under `_read_only.features.settings`. */
  settings?(record: NumberRecord, context: ProviderContext): JsonObject;
}
