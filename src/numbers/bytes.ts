/**
 * Kazoo handles numbers as Erlang binaries and runs its regexes in byte mode (`re` without the
 * `unicode` option), so a non-ASCII character is several bytes to every regex, `{n}` count and
 * `to_db` prefix. Here a "byte string" is a JS string whose char codes are the UTF-8 bytes (0–255).
 * ASCII strings are their own byte string, so the common case costs one scan and no copy.
 */

export function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) > 0x7f) return false;
  }
  return true;
}

export function toByteString(text: string): string {
  return isAscii(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

/** Back to text; bytes that are not valid UTF-8 (a prefix cut inside a character) become U+FFFD. */
export function fromByteString(bytes: string): string {
  return isAscii(bytes) ? bytes : Buffer.from(bytes, 'latin1').toString('utf8');
}
