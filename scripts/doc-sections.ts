import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Generated parts of the docs live between two HTML comments, so a script can rewrite them in place
 * and a test can tell when they are stale:
 *   <!-- BEGIN generated:NAME (how to regenerate) -->
 *   …
 *   <!-- END generated:NAME -->
 */

function bounds(doc: string, name: string): { start: number; end: number } | undefined {
  const begin = new RegExp(
    `<!-- BEGIN generated:${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?: [^\\n]*?)? -->\\n`,
  );
  const match = begin.exec(doc);
  if (!match) return undefined;
  const start = match.index + match[0].length;
  const end = doc.indexOf(`<!-- END generated:${name} -->`, start);
  return end < 0 ? undefined : { start, end };
}

/** The text between the markers (without the markers), or undefined when the section is missing. */
export function readSection(doc: string, name: string): string | undefined {
  const found = bounds(doc, name);
  return found && doc.slice(found.start, found.end);
}

/** The document with the section's text replaced; the markers must already be in place. */
export function replaceSection(doc: string, name: string, body: string): string {
  const found = bounds(doc, name);
  if (!found) throw new Error(`section generated:${name} not found (add its BEGIN/END markers first)`);
  const text = body.endsWith('\n') ? body : `${body}\n`;
  return doc.slice(0, found.start) + text + doc.slice(found.end);
}

/** True when this module is the script node was started with (not imported by a test). */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(resolve(entry)).href === metaUrl;
}
