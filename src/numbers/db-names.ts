/**
 * Database names Kazoo uses for numbers and accounts (FACTS §2.1, §2.2). Kazoo passes names around
 * URL-encoded with kz_http_util:urlencode/1 (`numbers%2F%2B1415`, `account%2Faa%2Fc9%2F151d…`) and
 * stores that form in `pvt_db_name`; the name CouchDB holds is the decoded one (`numbers/+1415`).
 */
import { KnmError } from '../errors';

export const NUMBERS_DB_PREFIX = 'numbers/';

/**
 * knm_converters:to_db/1: `numbers/` + the first 5 bytes of the number, URL-encoded; undefined when
 * the number is shorter than 5 bytes. No normalization happens here.
 */
export function toDb(number: string): string | undefined {
  // an ASCII character is its own byte: no need to encode the whole number to take five
  if (number.length >= 5 && ASCII_PREFIX.test(number)) return ENCODED_NUMBERS_DB_PREFIX + urlencodeBytes(5, (at) => number.charCodeAt(at));
  const bytes = Buffer.from(number, 'utf8');
  if (bytes.length < 5) return undefined;
  return ENCODED_NUMBERS_DB_PREFIX + urlencodeBytes(5, (at) => bytes[at]);
}

/** The CouchDB name of toDb(number): `numbers/+1415`. */
export function toDbName(number: string): string | undefined {
  // ASCII bytes are characters, and urldecode(urlencode(x)) is x: the usual number needs no round trip
  if (number.length >= 5 && ASCII_PREFIX.test(number)) return NUMBERS_DB_PREFIX + number.slice(0, 5);
  const encoded = toDb(number);
  return encoded === undefined ? undefined : decodeDbName(encoded);
}

// eslint-disable-next-line no-control-regex
const ASCII_PREFIX = /^[\x00-\x7f]{5}/;
const ENCODED_NUMBERS_DB_PREFIX = encodeDbName(NUMBERS_DB_PREFIX);

/**
 * kz_http_util:urlencode/1: keeps `A–Z a–z 0–9 . - ~ _`, writes a space as `+` and every other byte
 * as `%XX` (uppercase hex).
 */
export function encodeDbName(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  return urlencodeBytes(bytes.length, (at) => bytes[at]);
}

/** The first `count` bytes, each read with `byteAt`. */
function urlencodeBytes(count: number, byteAt: (at: number) => number): string {
  let encoded = '';
  for (let at = 0; at < count; at += 1) {
    const byte = byteAt(at);
    const safe =
      (byte >= 0x30 && byte <= 0x39) ||
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      byte === 0x2e ||
      byte === 0x2d ||
      byte === 0x7e ||
      byte === 0x5f;
    if (safe) encoded += String.fromCharCode(byte);
    else if (byte === 0x20) encoded += '+';
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/**
 * kz_http_util:urldecode/1: `+` is a space, `%XX` a byte (either case). A `%` not followed by two hex
 * digits (on which Kazoo would crash) is kept as it is.
 */
export function decodeDbName(encoded: string): string {
  const bytes: number[] = [];
  for (let index = 0; index < encoded.length; index++) {
    const character = encoded[index];
    if (character === '+') {
      bytes.push(0x20);
    } else if (character === '%' && /^[0-9A-Fa-f]{2}$/.test(encoded.slice(index + 1, index + 3))) {
      bytes.push(parseInt(encoded.slice(index + 1, index + 3), 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(character, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** True for the decoded name of a number database (`numbers/+1415`, `numbers/managed`, `numbers/inum`). */
export function isNumberDbName(name: string): boolean {
  return name.startsWith(NUMBERS_DB_PREFIX);
}

const RAW_ACCOUNT_ID = /^[^/%]{32}$/;
const ACCOUNT_DB = /^account\/([^/]{2})\/([^/]{2})\/([^/]{28})$/;

/** True for the raw name of an account database, `account/xx/yy/<28 characters>` (not its monthly databases). */
export function isAccountDbName(name: string): boolean {
  return ACCOUNT_DB.test(name);
}

/**
 * kz_util:format_account_id(Account, unencoded): `account/xx/yy/rest` for a 32-character account id
 * (Kazoo does not insist on hex: the fixture ids are `account0000…0001`). Also accepts the account
 * database name, raw or encoded.
 */
export function accountDbName(account: string): string {
  const id = accountIdOf(account);
  return `account/${id.slice(0, 2)}/${id.slice(2, 4)}/${id.slice(4)}`;
}

/** kz_util:format_account_id(Account, encoded): `account%2Fxx%2Fyy%2Frest`. */
export function encodedAccountDbName(account: string): string {
  return encodeDbName(accountDbName(account));
}

/** The 32-character account id of an id or an account database name (raw or encoded). */
export function accountIdOf(account: string): string {
  if (RAW_ACCOUNT_ID.test(account)) return account;
  const match = ACCOUNT_DB.exec(account.includes('%') ? decodeDbName(account) : account);
  if (match !== null) return match[1] + match[2] + match[3];
  throw new KnmError('invalid', 400, `not an account id or account database name: ${JSON.stringify(account)}`, {
    hint: 'an account id has 32 characters; its database is account/xx/yy/<the other 28>',
  });
}
