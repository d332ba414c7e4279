import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ProjectValidationError } from '../errors.js';
import { compileProject, type ProjectSources } from './compile.js';
import type { Manifest } from './manifest.js';

export const DEFAULT_PROJECT_DIR = './curated';

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (/\.(sql|ya?ml)$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** Reads a curated project folder into memory (no validation beyond "the folder exists"). */
export function readProjectSources(dir: string): ProjectSources {
  if (dir.trim() === '') {
    // An empty path (e.g. `-p "$UNSET"`) would otherwise be reported as ": project folder not found".
    throw new ProjectValidationError([
      {
        file: 'project folder',
        message: `the path is empty (${JSON.stringify(dir)}); pass the folder that holds project.yml, e.g. -p/--project ./curated`,
      },
    ]);
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ProjectValidationError([{ file: dir, message: 'project folder not found' }]);
  }
  const projectPath = join(dir, 'project.yml');
  const modelsDir = join(dir, 'models');
  const modelFiles = existsSync(modelsDir)
    ? walk(modelsDir).map((full) => ({
        path: relative(dir, full).split(sep).join('/'),
        text: readFileSync(full, 'utf8'),
      }))
    : [];
  return {
    projectYml: existsSync(projectPath) ? readFileSync(projectPath, 'utf8') : undefined,
    modelFiles,
  };
}

/** Loads, validates and compiles the curated project in `dir`. */
export function loadProject(dir: string = DEFAULT_PROJECT_DIR): Manifest {
  return compileProject(readProjectSources(dir));
}
