import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalOrchestrator } from '../../local/app.js';
import { compileProject, serializeManifest } from '../../shared/project/compile.js';
import { shopSources, withFiles } from './project.js';

/**
 * Compiles a variant of the shop project and points the Lambda handlers at it (ZEO_MANIFEST_PATH),
 * as if that project had been packaged. Returns a function that restores the bundled manifest.
 */
export function useShopVariant(
  changes: Record<string, string | undefined>,
  edit?: (text: string) => string,
): () => void {
  const sources = shopSources();
  const edited =
    edit && sources.projectYml ? { ...changes, 'project.yml': edit(sources.projectYml) } : changes;
  const manifest = compileProject(withFiles(sources, edited));
  const path = join(mkdtempSync(join(tmpdir(), 'zeo-manifest-')), 'manifest.json');
  writeFileSync(path, serializeManifest(manifest));
  const previous = process.env.ZEO_MANIFEST_PATH;
  process.env.ZEO_MANIFEST_PATH = path;
  return () => {
    if (previous === undefined) delete process.env.ZEO_MANIFEST_PATH;
    else process.env.ZEO_MANIFEST_PATH = previous;
  };
}

/**
 * Compiles a variant of the shop project and deploys it to a running local orchestrator (its handlers
 * run with it from now on). Returns a function that puts the previous project back.
 */
export function deployShopVariant(
  app: Pick<LocalOrchestrator, 'deploy'>,
  changes: Record<string, string | undefined>,
): () => void {
  return app.deploy(compileProject(withFiles(shopSources(), changes)));
}

export function shopFile(path: string): string {
  const file = shopSources().modelFiles.find((f) => f.path === path);
  if (!file) throw new Error(`no ${path} in the shop project`);
  return file.text;
}
