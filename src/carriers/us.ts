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

/** knm_vitelity_util:get_short_state/1: a full US state or territory name (any case) → its two-letter code. */
const SHORT_STATE_NAMES: ReadonlyMap<string, string> = new Map([
  ['alabama', 'AL'], ['alaska', 'AK'], ['american samoa', 'AS'], ['arizona', 'AZ'], ['arkansas', 'AR'], ['california', 'CA'],
  ['colorado', 'CO'], ['connecticut', 'CT'], ['delaware', 'DE'], ['district of columbia', 'DC'], ['federated states of micronesia', 'FM'],
  ['florida', 'FL'], ['georgia', 'GA'], ['guam', 'GU'], ['hawaii', 'HI'], ['idaho', 'ID'], ['illinois', 'IL'], ['indiana', 'IN'],
  ['iowa', 'IA'], ['kansas', 'KS'], ['kentucky', 'KY'], ['louisiana', 'LA'], ['maine', 'ME'], ['marshall islands', 'MH'],
  ['maryland', 'MD'], ['massachusetts', 'MA'], ['michigan', 'MI'], ['minnesota', 'MN'], ['mississippi', 'MS'], ['missouri', 'MO'],
  ['montana', 'MT'], ['nebraska', 'NE'], ['nevada', 'NV'], ['new hampshire', 'NH'], ['new jersey', 'NJ'], ['new mexico', 'NM'],
  ['new york', 'NY'], ['north carolina', 'NC'], ['north dakota', 'ND'], ['northern mariana islands', 'MP'], ['ohio', 'OH'],
  ['oklahoma', 'OK'], ['oregon', 'OR'], ['palau', 'PW'], ['pennsylvania', 'PA'], ['puerto rico', 'PR'], ['rhode island', 'RI'],
  ['south carolina', 'SC'], ['south dakota', 'SD'], ['tennessee', 'TN'], ['texas', 'TX'], ['utah', 'UT'], ['vermont', 'VT'],
  ['virgin islands', 'VI'], ['virginia', 'VA'], ['washington', 'WA'], ['west virginia', 'WV'], ['wisconsin', 'WI'], ['wyoming', 'WY'],
]);

/** The code, or undefined for anything else (a two-letter code included). */
export function shortStateName(fullName: string | undefined): string | undefined {
  return fullName === undefined ? undefined : SHORT_STATE_NAMES.get(fullName.toLowerCase());
}
