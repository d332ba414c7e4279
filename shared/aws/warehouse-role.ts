/**
 * All warehouse work runs as ONE identity: every step that uses the Data API assumes the stack's
 * warehouse role under the same session name. On AWS only the identity that ran a statement may
 * describe, cancel or read it (the project's policy: `redshift-data:statement-owner-iam-userid =
 * ${aws:userid}`), and with IAM credentials each role is its own database user (`IAMR:<role>`): so
 * a build one dispatcher tick submitted is the next tick's to list and describe, and every table,
 * schema and procedure has one owner. Each Lambda keeps its own least-privilege execution role for
 * everything else (RDS, EventBridge, SNS).
 */

/** The ARN of the warehouse role (serverless.yml sets it on every function that uses the Data API). */
export const WAREHOUSE_ROLE_ENV = 'ZEO_WAREHOUSE_ROLE_ARN';
/**
 * One session name for every step: `aws:userid` is `<role id>:<session name>`, so with one name all
 * steps are the same statement owner (docs/deploy.md, "One warehouse identity").
 */
export const WAREHOUSE_SESSION_NAME = 'zeo-warehouse';
