import { createHash } from 'node:crypto';

/**
 * The deployment of a curated project: its prefix (the Serverless service, so the CloudFormation stack
 * is `<service>-<stage>`), the stage, and the physical names built from them. The limits below are
 * chosen so that every name fits its AWS limit for every project, stage and Region the schema accepts
 * (test/reliability/deploy-matrix.reliability.ts packages the extremes). scripts/serverless-config.cjs
 * builds the template's names with the same rules (it cannot import TypeScript; a unit test keeps the
 * two in step).
 */

/**
 * The deployment prefix. 2 characters at least (the Framework's service-name pattern), 40 at most: with
 * the longest stage a state machine name (`<service>-<stage>-integration-recovery`) is 78 of the 80
 * characters Step Functions allows, so state machine names are never shortened and `zeo run --stage`
 * finds them by name.
 */
export const SERVICE_PATTERN = /^[a-z][a-z0-9-]{1,39}$/;
export const MAX_SERVICE_LENGTH = 40;

/**
 * Stage names: lower-case letters and digits, at most 16. No hyphen, so `<service>-<stage>` (the stack
 * name and the start of every physical name) names one deployment only (`shop` + `a-b` and `shop-a` +
 * `b` would both be `shop-a-b`); no upper case, because IAM role names are unique regardless of case.
 */
export const STAGE_PATTERN = /^[a-z0-9]{1,16}$/;
export const MAX_STAGE_LENGTH = 16;
export const STAGE_RULE = `1-${MAX_STAGE_LENGTH} lower-case letters and digits (no hyphen: the stage is part of the stack name <service>-<stage> and of every resource name)`;

/**
 * Refresh groups per project: one EventBridge rule each on the account's default bus, whose rules quota
 * is shared by every stack of the Region (300 by default), and one resource each in a template of at
 * most 500 resources.
 */
export const MAX_GROUPS = 50;

/** The service a project deploys as: `service:` of project.yml, else its `name`. */
export function serviceOf(project: { name: string; service?: string | undefined }): string {
  if (project.service) return project.service;
  // A one-letter name is a valid project name but not a Serverless service name.
  return project.name.length >= 2 ? project.name : `${project.name}-zeo`;
}

/**
 * A physical name within `max` characters: the name itself when it fits, else its head and 8 hex
 * characters of its SHA-256 — stable across deployments and distinct for distinct full names. Always
 * applied to the fully resolved name (stage and Region included), never to a template.
 */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** Step Functions: state machine names are at most 80 characters. */
export function stateMachineName(deployment: Deployment, machine: string): string {
  return fitName(`${deployment.service}-${deployment.stage}-${machine}`, 80);
}

export interface Deployment {
  service: string;
  stage: string;
}

/** Why a stage name is refused, or undefined. */
export function stageProblem(stage: string): string | undefined {
  return STAGE_PATTERN.test(stage) ? undefined : `'${stage}' is not a stage name: ${STAGE_RULE}`;
}
