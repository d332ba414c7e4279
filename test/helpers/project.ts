import type { ProjectSources } from '../../shared/project/compile.js';
import { readProjectSources } from '../../shared/project/load.js';

export const SHOP_PROJECT = 'examples/shop/curated';

export function shopSources(): ProjectSources {
  return readProjectSources(SHOP_PROJECT);
}

/** The shop project with some files replaced (`text: undefined` removes a file). */
export function withFiles(base: ProjectSources, changes: Record<string, string | undefined>): ProjectSources {
  const files = new Map(base.modelFiles.map((f) => [f.path, f.text]));
  let projectYml = base.projectYml;
  for (const [path, text] of Object.entries(changes)) {
    if (path === 'project.yml') projectYml = text;
    else if (text === undefined) files.delete(path);
    else files.set(path, text);
  }
  return { projectYml, modelFiles: [...files].map(([path, text]) => ({ path, text })) };
}
