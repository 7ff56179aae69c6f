/**
 * Credentials out of messages that came back from the HTTP stack or CouchDB, and only the credentials:
 * - the password in any URL's userinfo (`scheme://user:pass@` → `scheme://user:***@`);
 * - the bare password (raw or URL-encoded) wherever it stands as a whole token, whatever its length.
 * A whole token rather than "any occurrence of at least N characters": a length floor would print a short password
 * verbatim, while the token rule only ever hides a standalone word that is the password itself (a password `p` must
 * not turn `bad port` into `bad ***ort`, and a password `refused` may cost `connection refused` a word, never leak).
 */

const MASK = '***';

/** `scheme://user:password@`: the scheme and user are kept; the password runs to the last `@` of the authority (an unencoded `@` in it leaks nothing). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):[^\s/?#]*@/gi;

export function scrubCredentials(text: string, secrets: readonly string[]): string {
  let clean = text.replace(URL_USERINFO, `$1$2:${MASK}@`);
  // The longest first: a secret that contains another (`p%40ss` holds `p`) is masked whole.
  for (const secret of [...new Set(secrets)].filter((candidate) => candidate.length > 0).sort((a, b) => b.length - a.length)) {
    clean = maskWholeTokens(clean, secret);
  }
  return clean;
}

/** Every occurrence of `secret` not glued to a letter or digit on either side. */
function maskWholeTokens(text: string, secret: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
    if (at < from || isWordChar(text[at - 1]) || isWordChar(text[at + secret.length])) continue;
    out += text.slice(from, at) + MASK;
    from = at + secret.length;
  }
  return out + text.slice(from);
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[\p{L}\p{N}_]/u.test(char);
}
