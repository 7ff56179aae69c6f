/**
 * How the Vitelity providers read an answer (knm_vitelity_e911 / knm_vitelity_cnam process_xml_content_tag):
 * `<status>ok</status>` is success, `fail` carries `<error>`; a body that is not Vitelity's XML and any other
 * status (Kazoo crashes on those: case_clause) are failures too, each with a reason safe to show.
 */
import { CarrierUnreachable, redact, unspecified } from '../carriers/http';
import type { CarrierSettings } from '../carriers/settings';
import { VITELITY_SECRET_KEYS, vitelityCall, VitelityQuery } from '../carriers/vitelity-api';
import { text, XmlElement } from '../carriers/xml';
import type { KnmError } from '../errors';
import type { HttpProviderOptions } from './feature-record';

export type VitelityOutcome = { ok: true; content: XmlElement } | { ok: false; reason: string };

/** One command; `unreadable` is the provider's own name (in Kazoo) for a body it could not parse. */
export async function vitelityCommand(settings: CarrierSettings, query: VitelityQuery, options: HttpProviderOptions, unreadable: string): Promise<VitelityOutcome> {
  let content: Awaited<ReturnType<typeof vitelityCall>>;
  try {
    content = await vitelityCall(settings, query, options);
  } catch (error) {
    if (error instanceof CarrierUnreachable) return { ok: false, reason: `no answer (${error.reason})` };
    throw error;
  }
  if (content === 'xml_decode_failed') return { ok: false, reason: unreadable };
  const status = text(content, 'status');
  if (status === 'ok') return { ok: true, content };
  if (status === 'fail') return { ok: false, reason: text(content, 'error') ?? 'fail' };
  return { ok: false, reason: `unexpected answer status ${JSON.stringify(status ?? null)}` };
}

/** knm_errors:unspecified(Reason): the reason without the credentials. */
export function vitelityFault(settings: CarrierSettings, number: string, reason: string, hint: string): KnmError {
  return unspecified(redact(reason, settings.secrets(VITELITY_SECRET_KEYS)), number, hint);
}
