/**
 * The query string as the client sent it, one string per name. express-pouchdb JSON-parses every query
 * value in place (`"true"` becomes `true`, `5` a number), so routes that run inside it read the URL instead.
 */
import type { Request } from 'express';

export function rawQuery(req: Request): Record<string, string> {
  const at = req.url.indexOf('?');
  return at === -1 ? {} : Object.fromEntries(new URLSearchParams(req.url.slice(at + 1)));
}
