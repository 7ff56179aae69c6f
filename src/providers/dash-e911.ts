/**
 * knm_dash_e911, Kazoo's default E911 provider (providers.md §7.7, carrier-protocols.md §10; 4.3
 * src/providers/knm_dash_e911.erl): DASH (Bandwidth 911) over XML with HTTP Basic auth. A changed public `e911`
 * address is validated (validateLocation), then registered for the number (addLocation, and provisionLocation
 * when DASH only geocoded it); the location DASH returns is merged over the address and stored both as the public
 * `e911` and as `pvt_features.e911`, so the next save sees no change. Settings: `number_manager.dash_e911`
 * `emergency_provisioning_url`, `auth_username`, `auth_password` (or KNM_DASH_E911_<KEY>).
 */
import { basicAuth, carrierHttp, CarrierHttpAnswer, CarrierUnreachable, KNM_USER_AGENT, redact, unspecified } from '../carriers/http';
import type { CarrierSettings } from '../carriers/settings';
import { toNpan } from '../carriers/us';
import { descendants, escapeXml, parseXml, text, XmlElement } from '../carriers/xml';
import type { JsonObject } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import { KnmError } from '../errors';
import { addressField, E911_FEATURE, e911CallerName, e911Change } from './e911';
import { activateFeature, deactivateFeatures, HttpProviderOptions, providerSettings } from './feature-record';
import type { FeatureProvider, ProviderContext } from './provider';

const MODULE = 'knm_dash_e911';
const SETTINGS = 'dash_e911';
export const DASH_E911_URL = 'https://service.dashcs.com/dash-api/xml/emergencyprovisioning/v1';
const SECRET_KEYS = ['auth_username', 'auth_password'];
const HINT = 'check the e911 address and the DASH account (system_config/number_manager.dash_e911), then save the number again';

type Verb = 'validateLocation' | 'addLocation' | 'provisionLocation' | 'removeURI';

/** Either DASH's answer, parsed, or emergency_provisioning_request/2's reason for not having one. */
type DashAnswer = { ok: true; xml: XmlElement } | { ok: false; reason: string };

/** A location status (validateLocation / addLocation) with the locations DASH returned. */
interface LocationAnswer {
  code: string | undefined;
  description: string | undefined;
  locations: JsonObject[];
}

export function createDashE911Provider(options: HttpProviderOptions = {}): FeatureProvider {
  async function request(settings: CarrierSettings, verb: Verb, children: string): Promise<DashAnswer> {
    const url = `${settings.string('emergency_provisioning_url', DASH_E911_URL)}/${verb.toLowerCase()}`;
    const headers = {
      Accept: '*/*',
      'User-Agent': KNM_USER_AGENT,
      'Content-Type': 'text/xml',
      Authorization: basicAuth(settings.string('auth_username', ''), settings.string('auth_password', '')),
    };
    const body = `<?xml version="1.0"?><${verb}>${children}</${verb}>`;
    let answer: CarrierHttpAnswer;
    try {
      answer = await carrierHttp({ method: 'POST', url, headers, body, timeoutMs: options.timeoutMs }, settings.secrets(SECRET_KEYS));
    } catch (error) {
      if (error instanceof CarrierUnreachable) return { ok: false, reason: 'unreachable' };
      throw error;
    }
    const refused = STATUS_REASONS[answer.status];
    if (refused !== undefined) return { ok: false, reason: refused };
    const xml = parseXml(answer.body);
    return xml === undefined ? { ok: false, reason: 'empty_response' } : { ok: true, xml };
  }

  /** removeURI; Kazoo treats every failure as removed and ignores the result. */
  async function removeUri(settings: CarrierSettings, record: NumberRecord): Promise<void> {
    await request(settings, 'removeURI', element('uri', telUri(record.number)));
  }

  const provider: FeatureProvider = {
    module: MODULE,
    reachesOutside: true,

    async save(record, context) {
      const change = e911Change(record);
      // Kazoo sends removeURI on every save of a number without an address; knm only when one was registered (delete).
      if (change.kind === 'left_provisioned_states' || change.kind === 'emptied') return provider.delete(record, context);
      if (change.kind === 'unchanged') return record;
      const { address } = change;
      const settings = providerSettings(context, SETTINGS);
      await validate(settings, record, address);
      const registered = context.dryRun ? address : await register(settings, record, address, context);
      // 4.3 merges DASH's location over the user's object (keeping keys DASH does not know); master keeps DASH's only.
      const stored: JsonObject = { ...address, ...registered };
      return activateFeature({ ...record, publicFields: { ...record.publicFields, [E911_FEATURE]: stored } }, E911_FEATURE, stored);
    },

    async delete(record, context) {
      if (!(E911_FEATURE in record.features)) return record;
      await removeUri(providerSettings(context, SETTINGS), record);
      return deactivateFeatures(record, E911_FEATURE);
    },
  };

  /** validateLocation: DASH knows the address as one location (geocoded or already provisioned), or Kazoo's refusal. */
  async function validate(settings: CarrierSettings, record: NumberRecord, address: JsonObject): Promise<void> {
    const answer = await request(settings, 'validateLocation', locationXml(address));
    if (!answer.ok) throw fault(settings, record, answer.reason);
    const status = readLocations(answer.xml);
    switch (status.code) {
      case 'PROVISIONED':
        return;
      case 'GEOCODED':
        if (status.locations.length > 1) throw multipleChoice(record, address, status.locations);
        return;
      case 'INVALID':
        throw new KnmError('invalid', 400, 'invalid', {
          cause: redact(`${status.description ?? ''} (${JSON.stringify(address)})`, settings.secrets(SECRET_KEYS)),
          hint: 'correct the e911 address (DASH could not find it) and save the number again',
        });
      case 'ERROR':
        throw fault(settings, record, status.description ?? 'ERROR');
      default:
        throw fault(settings, record, status.code ?? 'undefined');
    }
  }

  /** addLocation for the number, then provisionLocation when DASH only geocoded it. */
  async function register(settings: CarrierSettings, record: NumberRecord, address: JsonObject, context: ProviderContext): Promise<JsonObject> {
    const callerName = await e911CallerName(record, address, context);
    const uri = element('uri', element('uri', telUri(record.number)) + element('callername', callerName));
    const answer = await request(settings, 'addLocation', uri + locationXml(address));
    if (!answer.ok) throw fault(settings, record, answer.reason);
    const status = readLocations(answer.xml);
    const location = status.locations[0] ?? {};
    if (status.code === 'PROVISIONED') return location;
    if (status.code !== 'GEOCODED') throw fault(settings, record, status.description ?? status.code ?? 'undefined');
    const locationId = location.location_id;
    const provisioned = await request(settings, 'provisionLocation', element('locationid', typeof locationId === 'string' ? locationId : ''));
    const code = provisioned.ok ? text(descendants(provisioned.xml, 'LocationStatus')[0], 'code') : undefined;
    return code === undefined ? location : { ...location, status: code };
  }

  return provider;
}

export const dashE911Provider: FeatureProvider = createDashE911Provider();

/** emergency_provisioning_request/2: these statuses are refusals; any other status has its body read. */
const STATUS_REASONS: Readonly<Record<number, string>> = { 401: 'authentication', 403: 'authorization', 404: 'not_found', 500: 'server_error', 503: 'server_error' };

/** knm_errors:unspecified(Reason): DASH's words, without the credentials. */
function fault(settings: CarrierSettings, record: NumberRecord, reason: string): KnmError {
  return unspecified(redact(reason, settings.secrets(SECRET_KEYS)), record.number, HINT);
}

function element(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

/** `tel:1NPANXXXXXX` (knm_converters:to_1npan/1). */
function telUri(number: string): string {
  return escapeXml(`tel:1${toNpan(number)}`);
}

/** json_address_to_xml_location/1: the address fields that are set, then `<type>ADDRESS</type>`. */
function locationXml(address: JsonObject): string {
  const fields: [string, string][] = [
    ['address1', 'street_address'],
    ['address2', 'extended_address'],
    ['community', 'locality'],
    ['state', 'region'],
    ['postalcode', 'postal_code'],
  ];
  const children = fields.flatMap(([name, key]) => {
    const value = addressField(address, key);
    return value === undefined ? [] : [element(name, escapeXml(value))];
  });
  return element('location', children.join('') + element('type', 'ADDRESS'));
}

/** `//Location/status/code`, its description, and every `//Location` as JSON. */
function readLocations(xml: XmlElement): LocationAnswer {
  const found = descendants(xml, 'Location');
  return { code: text(found[0], 'status', 'code'), description: text(found[0], 'status', 'description'), locations: found.map(locationToJson) };
}

/** location_xml_to_json_address/1: DASH's element names → Kazoo's e911 keys; absent ones left out. */
const LOCATION_KEYS: readonly [string[], string][] = [
  [['address1'], 'street_address'],
  [['address2'], 'extended_address'],
  [['activated_time'], 'activated_time'],
  [['callername'], 'caller_name'],
  [['comments'], 'comments'],
  [['community'], 'locality'],
  [['customerorderid'], 'order_id'],
  [['latitude'], 'latitude'],
  [['longitude'], 'longitude'],
  [['locationid'], 'location_id'],
  [['plusfour'], 'plus_four'],
  [['postalcode'], 'postal_code'],
  [['state'], 'region'],
  [['status', 'code'], 'status'],
];
const LEGACY_DATA_KEYS: readonly [string[], string][] = [
  [['housenumber'], 'house_number'],
  [['predirectional'], 'predirectional'],
  [['streetname'], 'streetname'],
  [['suite'], 'suite'],
];

function locationToJson(location: XmlElement): JsonObject {
  const json = pick(location, LOCATION_KEYS);
  const legacy = descendants(location, 'legacydata')[0];
  if (legacy !== undefined) json.legacy_data = pick(legacy, LEGACY_DATA_KEYS);
  return json;
}

function pick(node: XmlElement, keys: readonly [string[], string][]): JsonObject {
  const json: JsonObject = {};
  for (const [path, key] of keys) {
    const value = text(node, ...path);
    if (value !== undefined && value !== '') json[key] = value;
  }
  return json;
}

/**
 * knm_errors:multiple_choice/2: DASH geocoded the address to several locations. Kazoo's error mapping has no
 * clause for it, so it answers its catch-all 500 with `multiple_choice` as the message; the cause carries the
 * address and the candidates so that the caller can pick one.
 */
function multipleChoice(record: NumberRecord, address: JsonObject, locations: JsonObject[]): KnmError {
  return new KnmError('unspecified_fault', 500, 'multiple_choice', {
    cause: JSON.stringify({ cause: address, details: locations, message: 'more than one address found' }),
    hint: `save ${record.number} again with one of the addresses in the details as its e911`,
  });
}
