import { WAREHOUSE_ROLE_ENV } from '../shared/aws/warehouse-role.js';
import { InvalidInputError } from '../shared/errors.js';

/**
 * Commands that read the warehouse of a deployed stage do it as the steps do, as the stack's warehouse
 * role (the integration views are superuser-only, and the zeo schema belongs to that role's user):
 * `--warehouse-role <arn>`, else $ZEO_WAREHOUSE_ROLE_ARN. The caller must be allowed to assume it
 * (docs/deploy.md "One warehouse identity").
 */
export const WAREHOUSE_ROLE_FLAG = '--warehouse-role <arn>';
export const WAREHOUSE_ROLE_HELP = `with --stage: the stack's warehouse role (its WarehouseRoleArn output) to read the warehouse as (default $${WAREHOUSE_ROLE_ENV})`;

export function useWarehouseRole(option: string | undefined, stage: string): void {
  const roleArn = option ?? process.env[WAREHOUSE_ROLE_ENV];
  if (!roleArn) {
    throw new InvalidInputError([
      {
        file: 'input',
        field: '--warehouse-role',
        message: `the warehouse is read as the stack's warehouse role: pass its ARN (the WarehouseRoleArn output of the <service>-${stage} stack) or set ${WAREHOUSE_ROLE_ENV}`,
      },
    ]);
  }
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(roleArn)) {
    throw new InvalidInputError([
      { file: 'input', field: '--warehouse-role', message: `${roleArn} is not an IAM role ARN` },
    ]);
  }
  process.env[WAREHOUSE_ROLE_ENV] = roleArn;
}
