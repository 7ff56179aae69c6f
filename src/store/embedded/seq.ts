/**
 * Sequences of the embedded server. PouchDB counts 1, 2, 3… per database, so a `since` kept from a database
 * that was deleted and re-created (or from another server) would silently skip every change below it.
 * CouchDB 3 tags each sequence with the shard's identity and starts again from 0 when that identity is
 * unknown (the "rewind" consumers must survive); the embedded server does the same with the database's
 * PouchDB instance id: sequences are `<n>-<instance id>`.
 */

export function encodeSeq(n: number, dbInstanceId: string): string {
  return `${n}-${dbInstanceId}`;
}

export type SinceResolution = { ok: true; seq: number } | { ok: false };

/**
 * Where a `since` from a client starts in this database: its own sequences resume where they were; `now`
 * is the current end; a plain integer (PouchDB's own form) is taken at its word unless it lies beyond the
 * end; anything with another identity, or beyond the end, starts from 0, as CouchDB does for an unknown
 * shard. Garbage is malformed (CouchDB answers 400 bad_request).
 */
export function resolveSince(raw: unknown, dbInstanceId: string, currentSeq: number): SinceResolution {
  if (raw === undefined || raw === null || raw === '' || raw === 0) return { ok: true, seq: 0 };
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 0 ? { ok: true, seq: raw <= currentSeq ? raw : 0 } : { ok: false };
  if (typeof raw !== 'string') return { ok: false };
  const text = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
  if (text === 'now') return { ok: true, seq: currentSeq };
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return { ok: true, seq: n <= currentSeq ? n : 0 };
  }
  const tagged = /^(\d+)-(.+)$/.exec(text);
  if (tagged === null) return { ok: false };
  const n = Number(tagged[1]);
  return { ok: true, seq: tagged[2] === dbInstanceId && n <= currentSeq ? n : 0 };
}

export const MALFORMED_SINCE_REASON = "Malformed sequence supplied in 'since' parameter.";
