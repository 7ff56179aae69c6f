/**
 * Kazoo timestamps are Gregorian seconds: seconds since 0000-01-01T00:00:00Z
 * (Erlang calendar:datetime_to_gregorian_seconds/1, kz_time:now_s/0).
 */
export const UNIX_EPOCH_IN_GREGORIAN = 62167219200;

/** A clock returns Gregorian seconds; the domain takes one as a parameter and never reads the time itself. */
export type Clock = () => number;

export function gregorianFromUnixMs(unixMs: number): number {
  return Math.floor(unixMs / 1000) + UNIX_EPOCH_IN_GREGORIAN;
}

export function unixMsFromGregorian(gregorian: number): number {
  return (gregorian - UNIX_EPOCH_IN_GREGORIAN) * 1000;
}

export const systemClock: Clock = () => gregorianFromUnixMs(Date.now());
