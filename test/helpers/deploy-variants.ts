import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_GROUPS, MAX_SERVICE_LENGTH, MAX_STAGE_LENGTH } from '../../shared/project/deployment.js';
import { SHOP_PROJECT, shopSources } from './project.js';

/**
 * The projects, stages and Regions the deployment is checked for (issue #19): the example, a maximal
 * variant at every limit the schema allows, and a second project beside the example.
 */

/** The stages of the package-time matrix: the usual ones and the longest allowed. */
export const MATRIX_STAGES = ['dev', 'prod', 'staging', 'production', 'x'.repeat(MAX_STAGE_LENGTH)] as const;
/** us-east-1 and one of the longest Region codes (14 characters). */
export const MATRIX_REGIONS = ['us-east-1', 'ap-southeast-2'] as const;

/** 40 characters: the longest project name, and so the longest default service. */
export const MAXIMAL_NAME = 'shop-reporting-maximal-variant-0123456789'.slice(0, MAX_SERVICE_LENGTH);

/**
 * `MAX_GROUPS` groups with names of the longest allowed length (40) that differ only at their end, so a
 * name cut to fit 64 characters before the stage is known would collide; the example's `hourly` and
 * `nightly` stay (its models use them).
 */
export function maximalGroups(): string[] {
  const long = Array.from({ length: MAX_GROUPS - 2 }, (_, i) =>
    `refresh_group_with_a_long_common_start_${String(i).padStart(2, '0')}`.slice(-40),
  );
  return ['hourly', 'nightly', ...long];
}

/** The example's project.yml with another name and `groups`. */
export function projectYmlWith(options: { name?: string; service?: string; groups?: string[] }): string {
  let yml = shopSources().projectYml ?? '';
  if (options.name) yml = yml.replace(/^name: .*$/m, `name: ${options.name}`);
  if (options.service) yml = yml.replace(/^(name: .*)$/m, `$1\nservice: ${options.service}`);
  if (options.groups) {
    const body = options.groups
      .map((g) => `  ${g}: { schedule: "cron(${options.groups?.indexOf(g) ?? 0} 3 * * ? *)" }`)
      .join('\n');
    yml = yml.replace(/^groups:.*\n(?: {2}.*\n)+/m, `groups:\n${body}\n`);
  }
  return yml;
}

export const maximalProjectYml = (): string =>
  projectYmlWith({ name: MAXIMAL_NAME, groups: maximalGroups() });

/** A copy of the example project folder with project.yml replaced (for `zeo validate|package -p`). */
export function projectFolder(projectYml: string, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, 'zeo-variant-'));
  cpSync(SHOP_PROJECT, dir, { recursive: true });
  writeFileSync(join(dir, 'project.yml'), projectYml);
  return dir;
}
