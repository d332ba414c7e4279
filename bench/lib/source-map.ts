import { readFileSync } from 'node:fs';

/**
 * Which sources a minified bundle's bytes come from, read from its source map: every generated
 * segment (from its column to the next segment's) is attributed to its original source, grouped by
 * npm package or by the project's top folder.
 */

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of segment) {
    const digit = DIGIT.get(c) ?? 0;
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

export function groupOf(source: string): string {
  const nm = source.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = source.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? source);
  }
  const clean = source.replace(/^(\.\.\/)+/, '');
  if (clean.startsWith('.build/')) return clean;
  return `${clean.split('/')[0] ?? clean}/`;
}

export function bundleComposition(jsPath: string, mapPath: string): Record<string, number> {
  const code = readFileSync(jsPath, 'utf8').split('\n');
  const map = JSON.parse(readFileSync(mapPath, 'utf8')) as { sources: string[]; mappings: string };
  const bytes: Record<string, number> = {};
  let source = 0;
  map.mappings.split(';').forEach((line, lineIndex) => {
    const text = code[lineIndex] ?? '';
    let column = 0;
    const segments: { column: number; source: number | undefined }[] = [];
    for (const seg of line.split(',')) {
      if (!seg) continue;
      const v = decodeVlq(seg);
      column += v[0] ?? 0;
      if (v.length >= 4) {
        source += v[1] ?? 0;
        segments.push({ column, source });
      } else segments.push({ column, source: undefined });
    }
    segments.forEach((s, i) => {
      const end = segments[i + 1]?.column ?? text.length;
      const name = s.source === undefined ? '(generated)' : groupOf(map.sources[s.source] ?? '?');
      bytes[name] = (bytes[name] ?? 0) + Buffer.byteLength(text.slice(s.column, end));
    });
  });
  return bytes;
}
