/**
 * CouchDB's read rule for a database, for the routes the embedded server answers itself inside
 * express-pouchdb (after its authentication): server admins and database admins may read; when the
 * security object names members, only they may; a database without members is public.
 */

export interface UserContext {
  name: string | null;
  roles: string[];
}

interface SecuritySection {
  names?: unknown;
  roles?: unknown;
}

export interface ReadRefusal {
  status: 401 | 403;
  body: { error: 'unauthorized' | 'forbidden'; reason: string };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function listed(user: UserContext, section: SecuritySection | undefined): boolean {
  return (user.name !== null && strings(section?.names).includes(user.name)) || strings(section?.roles).some((role) => user.roles.includes(role));
}

export function readRefusal(user: UserContext | undefined, security: unknown): ReadRefusal | undefined {
  if (user === undefined || user.roles.includes('_admin')) return undefined;
  const sections = (typeof security === 'object' && security !== null ? security : {}) as { admins?: SecuritySection; members?: SecuritySection };
  const members = sections.members;
  if (strings(members?.names).length === 0 && strings(members?.roles).length === 0) return undefined;
  if (listed(user, members) || listed(user, sections.admins)) return undefined;
  return user.name === null
    ? { status: 401, body: { error: 'unauthorized', reason: 'You are not authorized to access this db.' } }
    : { status: 403, body: { error: 'forbidden', reason: 'You are not allowed to access this db.' } };
}
