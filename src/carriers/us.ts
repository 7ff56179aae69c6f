/** NANP facts the carriers share. */

/** Kazoo's `?IS_US_TOLLFREE` NPAs (knm.hrl): 800, 822, 833, 844, 855, 866, 877, 880–889. */
export function isUsTollfreeNpa(npa: string): boolean {
  return /^(?:800|822|833|844|855|866|877|88\d)$/.test(npa);
}

/** A `+1` number as the 10 digits NANP carriers want (knm_converters:to_npan/1). */
export function toNpan(number: string): string {
  return number.replace(/^\+?1(?=\d{10}$)/, '').replace(/^\+/, '');
}

/** 10 digits back to E.164 (`+1` in front), anything already `+…` kept. */
export function fromNpan(digits: string): string {
  if (digits.startsWith('+')) return digits;
  if (/^1\d{10}$/.test(digits)) return `+${digits}`;
  return `+1${digits}`;
}
