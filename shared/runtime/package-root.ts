import { fileURLToPath } from 'node:url';

/**
 * Files that ship with zero-etl-orchestrator (state machine definitions, serverless.yml, the example
 * project), resolved from the installed package, never from the current directory: `zeo` runs from
 * anywhere, including a folder that only holds the user's curated project.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const packagePath = (...parts: string[]): string =>
  fileURLToPath(new URL(parts.join('/'), new URL('../../', import.meta.url)));

/** The shop example's curated project, the default of `zeo local …`. */
export const EXAMPLE_PROJECT = packagePath('examples/shop/curated');
