import type { Manifest, ManifestModel } from '../../shared/project/manifest.js';
import { shopSources } from './project.js';

/**
 * An independent oracle for curated tables: each model's SQL with its references inlined and pointed
 * at the *source* database (not the landing zone, not the curated tables), cast to the declared types.
 * If the orchestrator built a table right, it holds exactly these rows.
 */
export function oracleSql(manifest: Manifest, model: ManifestModel): string {
  const raw = new Map(
    shopSources()
      .modelFiles.filter((f) => f.path.endsWith('.sql'))
      .map((f) => [f.path.replace(/^.*\/(.+)\.sql$/, '$1'), f.text]),
  );
  const inline = (name: string, depth: number): string => {
    if (depth > 20) throw new Error('reference cycle in oracle');
    const text = raw.get(name);
    if (text === undefined) throw new Error(`no SQL for ${name}`);
    return text
      .replace(/\{\{\s*source\(\s*['"](\w+)['"]\s*,\s*['"](\w+)['"]\s*\)\s*\}\}/g, '"$1"."$2"')
      .replace(
        /\{\{\s*ref\(\s*['"](\w+)['"]\s*\)\s*\}\}/g,
        (_, ref: string) => `(\n${inline(ref, depth + 1)}\n)`,
      )
      .replace(/--[^\n]*/g, '');
  };
  const casts = model.columns.map((c) => `CAST("${c.name}" AS ${c.type}) AS "${c.name}"`).join(', ');
  const order = model.columns.map((c) => `"${c.name}"`).join(', ');
  void manifest;
  return `SELECT ${casts} FROM (\n${inline(model.name, 0)}\n) AS oracle ORDER BY ${order}`;
}
