/**
 * `system_config/number_manager` (config.md §1, FACTS §7.2): every key Kazoo 4.3 reads, with its code
 * default, read the way Kazoo reads it (node → zone → default → code default; legacy key names;
 * booleans with get_is_true). A value of the wrong type is reported and its key falls back to the
 * default; the rest of the document still loads.
 */
import { isJsonObject, JsonObject, JsonValue } from '../documents/json';
import { asConfigDocument, ConfigLocation, lookupConfigValue } from './lookup';
import { ConfigProblem } from './problem';
import { jsonType, readBoolean, readInteger, readString, readStringList } from './values';

/** `{prefix, suffix}` of one `e164_converters` (or dial plan) entry; missing = `""`. */
export interface ConverterRule {
  prefix?: string;
  suffix?: string;
}

/** regex → rule, tried in stored key order. */
export type E164Converters = Record<string, ConverterRule>;

export interface Classifier {
  /** Missing = `^$` (knm_converters:get_classifier_regex/1). */
  regex?: string;
  friendly_name?: string;
  pretty_print?: string;
  emergency?: boolean;
}

/** name → classifier (or, legacy, name → regex string), tried in stored key order. */
export type Classifiers = Record<string, Classifier | string>;

export const NUMBER_STATES = [
  'discovery',
  'available',
  'reserved',
  'in_service',
  'port_in',
  'port_out',
  'released',
  'aging',
  'deleted',
] as const;

/** ?ALL_KNM_FEATURES: KAZOO_NUMBER_FEATURES ++ EXTERNAL_NUMBER_FEATURES ++ ADMIN_ONLY_FEATURES (providers.md §2). */
export const ALL_KNM_FEATURES = [
  'failover',
  'force_outbound',
  'prepend',
  'ringback',
  'cnam',
  'inbound_cnam',
  'outbound_cnam',
  'e911',
  'port',
  'sms',
  'mms',
  'carrier_name',
] as const;

export interface NumberManagerConfig {
  released_state: string;
  should_permanently_delete: boolean;
  should_age: boolean;
  default_force_outbound: boolean;
  force_local_outbound: boolean;
  force_port_in_outbound: boolean;
  force_port_out_outbound: boolean;
  fetch_account_from_ports: boolean;
  port_in_module_name: string;
  available_module_name: string;
  carrier_modules: string[];
  local_feature_override: boolean;
  /** `features.allow` (legacy names mapped) and `features.deny` (undefined = not set). */
  features: { allow: string[]; deny: string[] | undefined };
  /** Legacy allow list; only the default of `features.allow`. */
  providers: string[] | undefined;
  cnam_provider: string;
  e911_provider: string;
  converter: string;
  converters: string[];
  e164_converters: E164Converters;
  reconcile_regex: string;
  classifiers: Classifiers;
  maximum_search_quantity: number;
  number_search_timeout_ms: number;
  allow_port_transition_from_submitted_to_scheduled: boolean;
  unauthorized_numbers_lookup: boolean;
  time_between_accounts_ms: number;
  time_between_db_ms: number;
  time_between_numbers_ms: number;
  parallel_jobs_count: number;
}

/** 4.2+ defaults (knm_converter_regex.erl). Order matters: first match wins. */
export function defaultE164Converters(): E164Converters {
  return {
    '^(\\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})$': { prefix: '+1' },
    '^011(\\d{5,})$|^00(\\d{5,})$': { prefix: '+' },
    '^[2-9]\\d{7,}$': { prefix: '+' },
  };
}

export const DEFAULT_RECONCILE_REGEX = '^(\\+?1)?\\d{10}$|^\\+[2-9]\\d{7,}$|^011\\d*$|^00\\d*$';

/**
 * 4.3 code defaults in code order (knm_converters.erl ?DEFAULT_CLASSIFIERS). 4.3 lists `988` as an
 * emergency number (FACTS §3.5, fixtures/normalization/kazoo-4.3-defaults.tsv); 4.2 and master do not.
 */
export function defaultClassifiers(): Classifiers {
  const usFormat = 'SS(###) ### - ####';
  return {
    tollfree_us: {
      regex: '^\\+1((?:800|88\\d|877|866|855|844|833|822)\\d{7})$',
      friendly_name: 'US TollFree',
      pretty_print: usFormat,
    },
    toll_us: { regex: '^\\+1(900\\d{7})$', friendly_name: 'US Toll', pretty_print: usFormat },
    emergency: { regex: '^(911|922|933|988|833|811|711|999)$', emergency: true, friendly_name: 'Emergency Dispatcher' },
    caribbean: {
      regex:
        '^\\+?1((?:684|264|268|242|246|441|284|345|767|809|829|849|473|671|876|664|670|787|939|869|758|784|721|868|649|340)\\d{7})$',
      friendly_name: 'Caribbean',
      pretty_print: usFormat,
    },
    did_us: { regex: '^(\\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})$', friendly_name: 'US DID', pretty_print: usFormat },
    international: { regex: '^\\+([2-9]\\d{7,})$', friendly_name: 'International' },
    unknown: { regex: '^(.*)$', friendly_name: 'Unknown' },
  };
}

/** Kazoo's code defaults; `carrier_modules` follows `available_module_name`. */
export function defaultNumberManagerConfig(): NumberManagerConfig {
  return {
    released_state: 'available',
    should_permanently_delete: false,
    should_age: false,
    default_force_outbound: false,
    force_local_outbound: true,
    force_port_in_outbound: true,
    force_port_out_outbound: true,
    fetch_account_from_ports: true,
    port_in_module_name: 'knm_local',
    available_module_name: 'knm_local',
    carrier_modules: ['knm_local'],
    local_feature_override: false,
    features: { allow: [...ALL_KNM_FEATURES], deny: undefined },
    providers: undefined,
    cnam_provider: 'knm_cnam_notifier',
    e911_provider: 'knm_dash_e911',
    converter: 'regex',
    converters: ['regex'],
    e164_converters: defaultE164Converters(),
    reconcile_regex: DEFAULT_RECONCILE_REGEX,
    classifiers: defaultClassifiers(),
    maximum_search_quantity: 500,
    number_search_timeout_ms: 5000,
    allow_port_transition_from_submitted_to_scheduled: false,
    unauthorized_numbers_lookup: false,
    time_between_accounts_ms: 1000,
    time_between_db_ms: 50,
    time_between_numbers_ms: 1000,
    parallel_jobs_count: 1,
  };
}

/**
 * v3 provider module names in allow/deny lists, as knm_providers:legacy_provider_to_feature/1 maps
 * them: strip `wnm_`/`knm_`, then rename the provider modules to their feature.
 */
export function legacyProviderToFeature(name: string): string {
  const bare = name.replace(/^(?:wnm_|knm_)/, '');
  return LEGACY_PROVIDER_FEATURES.get(bare) ?? bare;
}

const LEGACY_PROVIDER_FEATURES: ReadonlyMap<string, string> = new Map([
  ['cnam_notifier', 'cnam'],
  ['dash_e911', 'e911'],
  ['port_notifier', 'port'],
  ['telnyx_cnam', 'cnam'],
  ['telnyx_e911', 'e911'],
  ['vitelity_cnam', 'cnam'],
  ['vitelity_e911', 'e911'],
]);

type BooleanKey = {
  [K in keyof NumberManagerConfig]: NumberManagerConfig[K] extends boolean ? K : never;
}[keyof NumberManagerConfig];
type IntegerKey = 'maximum_search_quantity' | 'number_search_timeout_ms' | 'time_between_accounts_ms' | 'time_between_db_ms' | 'time_between_numbers_ms' | 'parallel_jobs_count';
type StringKey = 'released_state' | 'port_in_module_name' | 'available_module_name' | 'cnam_provider' | 'e911_provider' | 'converter' | 'reconcile_regex';

const BOOLEAN_KEYS: BooleanKey[] = [
  'should_permanently_delete',
  'should_age',
  'default_force_outbound',
  'force_local_outbound',
  'force_port_in_outbound',
  'force_port_out_outbound',
  'fetch_account_from_ports',
  'local_feature_override',
  'allow_port_transition_from_submitted_to_scheduled',
  'unauthorized_numbers_lookup',
];
const INTEGER_KEYS: IntegerKey[] = [
  'maximum_search_quantity',
  'number_search_timeout_ms',
  'time_between_accounts_ms',
  'time_between_db_ms',
  'time_between_numbers_ms',
  'parallel_jobs_count',
];
const STRING_KEYS: StringKey[] = [
  'released_state',
  'port_in_module_name',
  'available_module_name',
  'cnam_provider',
  'e911_provider',
  'converter',
  'reconcile_regex',
];

/** 3.x key names that kapps_config:migrate/0 moves to the 4.x name (config.md §2, FACTS §7.4). */
const LEGACY_KEYS: Partial<Record<keyof NumberManagerConfig, string>> = {
  port_in_module_name: 'porting_module_name',
  force_local_outbound: 'force_wnm_local_outbound',
};

export interface NumberManagerConfigResult {
  config: NumberManagerConfig;
  problems: ConfigProblem[];
}

export function readNumberManagerConfig(doc: unknown, where: ConfigLocation = {}): NumberManagerConfigResult {
  const problems: ConfigProblem[] = [];
  const source = asConfigDocument(doc, 'number_manager', problems);
  const config = defaultNumberManagerConfig();
  // The 4.x key wins in any section; the legacy key is read only when the 4.x key is nowhere.
  const find = (key: keyof NumberManagerConfig): JsonValue | undefined => {
    const found = lookupConfigValue(source, [key], where);
    if (found !== undefined) return found.value;
    const legacy = LEGACY_KEYS[key];
    return legacy === undefined ? undefined : lookupConfigValue(source, [legacy], where)?.value;
  };

  for (const key of BOOLEAN_KEYS) {
    const value = find(key);
    if (value !== undefined) config[key] = readBoolean(key, value, problems);
  }
  for (const key of INTEGER_KEYS) {
    const value = find(key);
    if (value !== undefined) config[key] = readInteger(key, value, config[key], 1, problems);
  }
  for (const key of STRING_KEYS) {
    const value = find(key);
    if (value !== undefined) config[key] = readString(key, value, config[key], problems);
  }
  if (!(NUMBER_STATES as readonly string[]).includes(config.released_state)) {
    problems.push({
      key: 'released_state',
      reason: `${JSON.stringify(config.released_state)} is not a number state (${NUMBER_STATES.join(', ')}); using "available"`,
    });
    config.released_state = 'available';
  }

  const carrierModules = find('carrier_modules');
  config.carrier_modules =
    carrierModules === undefined
      ? [config.available_module_name]
      : readStringList('carrier_modules', carrierModules, [config.available_module_name], problems);
  const converters = find('converters');
  if (converters !== undefined) config.converters = readStringList('converters', converters, config.converters, problems);

  readFeatures(source, where, config, problems);

  const e164 = find('e164_converters');
  if (e164 !== undefined) config.e164_converters = readConverters('e164_converters', e164, config.e164_converters, problems);
  const classifiers = find('classifiers');
  if (classifiers !== undefined) config.classifiers = readClassifiers(classifiers, config.classifiers, problems);

  return { config, problems };
}

/**
 * `features.allow` is used when it is a non-empty list, else the legacy `providers` list, else every
 * feature (knm_providers:system_allowed_features/0); legacy provider names are mapped in both.
 */
function readFeatures(source: JsonObject | undefined, where: ConfigLocation, config: NumberManagerConfig, problems: ConfigProblem[]): void {
  const providers = lookupConfigValue(source, ['providers'], where);
  if (providers !== undefined) {
    const list = readStringList('providers', providers.value, [], problems);
    config.providers = Array.isArray(providers.value) && list.length > 0 ? list.map(legacyProviderToFeature) : undefined;
  }
  const fallbackAllow = config.providers ?? [...ALL_KNM_FEATURES];
  const allow = lookupConfigValue(source, ['features', 'allow'], where);
  config.features.allow =
    allow === undefined ? fallbackAllow : readStringList('features.allow', allow.value, fallbackAllow, problems).map(legacyProviderToFeature);
  if (config.features.allow.length === 0) config.features.allow = fallbackAllow;
  const deny = lookupConfigValue(source, ['features', 'deny'], where);
  if (deny !== undefined) {
    const list = readStringList('features.deny', deny.value, [], problems);
    config.features.deny = Array.isArray(deny.value) ? list.map(legacyProviderToFeature) : undefined;
  }
}

/**
 * An ordered object as stored. JSON.parse keeps the stored order of every key except integer-like ones
 * ("911"), which JavaScript moves to the front; that is reported because it changes which rule wins.
 */
function checkKeyOrder(key: string, value: JsonObject, problems: ConfigProblem[]): void {
  const keys = Object.keys(value);
  const integerLike = keys.filter((name) => /^(?:0|[1-9]\d*)$/.test(name) && Number(name) < 2 ** 32 - 1);
  if (integerLike.length > 0 && keys.length > 1) {
    problems.push({
      key,
      reason: `integer-like key(s) ${integerLike.map((name) => JSON.stringify(name)).join(', ')} are tried before the others (JavaScript object order), which may differ from the stored order`,
    });
  }
}

/** `e164_converters` or a dial plan: regex → {prefix?, suffix?}. A bad entry is reported and skipped. */
export function readConverters(key: string, value: JsonValue, fallback: E164Converters, problems: ConfigProblem[]): E164Converters {
  if (!isJsonObject(value)) {
    problems.push({ key, reason: `expected an object of regex → {prefix, suffix}, found ${jsonType(value)}; using the default` });
    return fallback;
  }
  checkKeyOrder(key, value, problems);
  const converters: E164Converters = {};
  for (const [regex, rule] of Object.entries(value)) {
    if (!isJsonObject(rule)) {
      problems.push({ key, pattern: regex, reason: `expected {prefix, suffix}, found ${jsonType(rule)}; entry skipped` });
      continue;
    }
    const converter: ConverterRule = {};
    let usable = true;
    for (const part of ['prefix', 'suffix'] as const) {
      const text = affix(rule[part]);
      if (text === null) {
        problems.push({ key, pattern: regex, reason: `${part} must be a string, found ${jsonType(rule[part] as JsonValue)}; entry skipped` });
        usable = false;
      } else if (text !== undefined) {
        converter[part] = text;
      }
    }
    if (usable) converters[regex] = converter;
  }
  return converters;
}

/** kz_json:get_binary_value: strings as they are, numbers as their text; null = not usable. */
function affix(value: JsonValue | undefined): string | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

function readClassifiers(value: JsonValue, fallback: Classifiers, problems: ConfigProblem[]): Classifiers {
  if (!isJsonObject(value)) {
    problems.push({ key: 'classifiers', reason: `expected an object of name → classifier, found ${jsonType(value)}; using the default` });
    return fallback;
  }
  checkKeyOrder('classifiers', value, problems);
  const classifiers: Classifiers = {};
  for (const [name, entry] of Object.entries(value)) {
    const key = `classifiers.${name}`;
    if (typeof entry === 'string') {
      classifiers[name] = entry;
      continue;
    }
    if (!isJsonObject(entry)) {
      problems.push({ key, reason: `expected an object or a regex string, found ${jsonType(entry)}; classifier skipped` });
      continue;
    }
    if (entry.regex !== undefined && entry.regex !== null && typeof entry.regex !== 'string') {
      problems.push({ key: `${key}.regex`, reason: `expected a regex string, found ${jsonType(entry.regex)}; classifier skipped` });
      continue;
    }
    const classifier: Classifier = {};
    if (typeof entry.regex === 'string') classifier.regex = entry.regex;
    for (const field of ['friendly_name', 'pretty_print'] as const) {
      const text = entry[field];
      if (text === undefined || text === null) continue;
      if (typeof text === 'string') classifier[field] = text;
      else problems.push({ key: `${key}.${field}`, reason: `expected a string, found ${jsonType(text)}; ignored` });
    }
    if (entry.emergency !== undefined && entry.emergency !== null) {
      classifier.emergency = readBoolean(`${key}.emergency`, entry.emergency, problems);
    }
    classifiers[name] = classifier;
  }
  return classifiers;
}

/** The `default` section Kazoo ends up with once every key has been read (it writes code defaults back). */
export function defaultNumberManagerSection(): JsonObject {
  const config = defaultNumberManagerConfig();
  const { features, providers: _legacyProviders, e164_converters, classifiers, ...flat } = config;
  return {
    ...flat,
    features: { allow: features.allow },
    e164_converters: e164_converters as unknown as JsonObject,
    classifiers: classifiers as unknown as JsonObject,
  };
}

export interface ConfigDocumentOptions {
  /** Gregorian seconds for `pvt_created`/`pvt_modified`; omitted when not given. */
  now?: number;
  /** Erlang node name written as `pvt_node`. */
  node?: string;
}

/** `system_config/number_manager` as Kazoo writes it, with every code default under `default`. */
export function defaultNumberManagerDocument(options: ConfigDocumentOptions = {}): JsonObject {
  return configDocument('number_manager', defaultNumberManagerSection(), options);
}

/** A `system_config` document in Kazoo's shape (fixtures/dbs/system_config/*.json). */
export function configDocument(id: string, section: JsonObject, options: ConfigDocumentOptions = {}): JsonObject {
  const doc: JsonObject = {
    _id: id,
    default: section,
    pvt_account_db: 'system_config',
    pvt_account_id: 'system_config',
  };
  if (options.now !== undefined) {
    doc.pvt_created = options.now;
    doc.pvt_modified = options.now;
  }
  if (options.node !== undefined) doc.pvt_node = options.node;
  doc.pvt_type = 'config';
  return doc;
}
