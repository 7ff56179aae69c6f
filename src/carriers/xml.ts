/**
 * XML answers of Vitelity, VoIP Innovations and Bandwidth, read with fast-xml-parser: every value stays a
 * string (Kazoo reads text), namespace prefixes are dropped (Kazoo's XPath ignores the default namespace of
 * Bandwidth's answers), and the elements that may repeat always come back as lists.
 */
import { XMLParser } from 'fast-xml-parser';

export type XmlNode = string | XmlElement;
export interface XmlElement {
  [name: string]: XmlNode | XmlNode[] | undefined;
}

const REPEATED = new Set(['did', 'number', 'DIDLocator', 'DID', 'TelephoneNumber', 'TelephoneNumberDetail', 'Error', 'telephoneNumber']);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

/** The document, or undefined when it is not XML. */
export function parseXml(text: string): XmlElement | undefined {
  if (!text.trimStart().startsWith('<')) return undefined;
  try {
    const parsed = parser.parse(text, true) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as XmlElement) : undefined;
  } catch {
    return undefined;
  }
}

/** The element at `path` (the first one where a step repeats). */
export function child(node: XmlNode | XmlNode[] | undefined, ...path: string[]): XmlNode | undefined {
  let current: XmlNode | XmlNode[] | undefined = node;
  for (const name of path) {
    const one: XmlNode | undefined = Array.isArray(current) ? current[0] : current;
    if (one === undefined || typeof one === 'string') return undefined;
    current = one[name];
  }
  return Array.isArray(current) ? current[0] : current;
}

/** All elements named by the last step of `path`. */
export function children(node: XmlNode | undefined, ...path: string[]): XmlNode[] {
  const parent = child(node, ...path.slice(0, -1));
  if (parent === undefined || typeof parent === 'string') return [];
  const last = parent[path[path.length - 1]];
  if (last === undefined) return [];
  return Array.isArray(last) ? last : [last];
}

/** Every element named `name` anywhere below `node`, in document order (XPath `//name`). */
export function descendants(node: XmlNode | XmlNode[] | undefined, name: string): XmlElement[] {
  if (node === undefined || typeof node === 'string') return [];
  if (Array.isArray(node)) return node.flatMap((item) => descendants(item, name));
  const found: XmlElement[] = [];
  for (const [key, value] of Object.entries(node)) {
    const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (key === name && typeof item !== 'string') found.push(item);
      found.push(...descendants(item, name));
    }
  }
  return found;
}

/** The text of the element at `path`; an empty element is `''`. */
export function text(node: XmlNode | undefined, ...path: string[]): string | undefined {
  const found = path.length === 0 ? node : child(node, ...path);
  if (found === undefined) return undefined;
  if (typeof found === 'string') return found;
  const inner = found['#text'];
  return typeof inner === 'string' ? inner : Object.keys(found).length === 0 ? '' : undefined;
}

/** XML text escaping for values put into requests. */
export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
