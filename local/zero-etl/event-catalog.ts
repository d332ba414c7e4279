import type { IntegrationStatus } from './integrations.js';

/**
 * Redshift's zero-ETL integration events (facts §1.2, [RS-EVT]). Source `aws.redshift`; the detail-type
 * follows the category ("Redshift Integration Monitoring" etc., an inference the facts note). AWS does
 * not document the `detail` of these events (facts §1.2, §8.1): the local shape is an assumption —
 * it carries the event id, so code under test should still re-read the real state, as the design says.
 */

export type EventCategory = 'Monitoring' | 'Configuration' | 'Operation';
export type EventSeverity = 'INFO' | 'WARNING' | 'ERROR';

export interface IntegrationEventSpec {
  category: EventCategory;
  severity: EventSeverity;
  /** The documented message; `{name}` and `{time}` are filled in. */
  message: string;
  /** Status of the integration after a failure with this event (simulator's `failIntegration`). */
  status?: IntegrationStatus;
}

const RECREATE = 'failed' as const;

export const INTEGRATION_EVENTS: Record<string, IntegrationEventSpec> = {
  '0000': {
    category: 'Monitoring',
    severity: 'INFO',
    message: 'Your zero-ETL Integration {name} has been created and became ACTIVE at {time}.',
  },
  '0001': {
    category: 'Monitoring',
    severity: 'INFO',
    message: 'Your zero-ETL Integration {name} has been deleted at {time}.',
  },
  '0002': {
    category: 'Monitoring',
    severity: 'INFO',
    message: 'Your zero-ETL Integration {name} has initiated deletion at {time}.',
  },
  '0003': {
    category: 'Monitoring',
    severity: 'INFO',
    message:
      'Your zero-ETL Integration {name} is synchronizing transactional data to the Amazon Redshift data warehouse.',
  },
  '0004': {
    category: 'Monitoring',
    severity: 'WARNING',
    message:
      'Amazon Redshift cannot replicate the table because the table is missing a primary key. Add primary key(s) to the source table and the table will resynchronize automatically.',
    status: 'needs_attention',
  },
  '0005': {
    category: 'Monitoring',
    severity: 'WARNING',
    message:
      "Amazon Redshift cannot replicate the table because one or more columns use an unsupported data type. Modify your integration to exclude this table in the filter, or drop column(s) from source table and run 'ALTER DATABASE <Redshift database name> INTEGRATION REFRESH TABLE <schema name>.<table name>' to synchronize this table.",
    status: 'needs_attention',
  },
  '0006': {
    category: 'Monitoring',
    severity: 'ERROR',
    message:
      'Unable to create integration. Delete and recreate the integration. If the error persists, contact AWS Support.',
    status: RECREATE,
  },
  '0007': {
    category: 'Monitoring',
    severity: 'ERROR',
    message:
      'Unable to load data due to an internal error. Delete and recreate the integration. If the error persists, contact AWS Support.',
    status: RECREATE,
  },
  '0008': {
    category: 'Monitoring',
    severity: 'ERROR',
    message:
      "Authorization failed because permissions have been revoked from the source DB cluster. Check the KMS key permission if you're using a customer-managed key (CMK) to encrypt the integration. Then, delete and recreate the integration.",
    status: RECREATE,
  },
  '0009': {
    category: 'Monitoring',
    severity: 'ERROR',
    message:
      'Unable to send data to Amazon Redshift because the number of tables and schemas exceed the Amazon Redshift limit. Delete and recreate the integration.',
    status: RECREATE,
  },
  '0012': {
    category: 'Monitoring',
    severity: 'ERROR',
    message:
      'A restore from recovery point was invoked on the destination serverless namespace. Delete and recreate the integration.',
    status: RECREATE,
  },
  '0013': {
    category: 'Monitoring',
    severity: 'INFO',
    message: 'Your zero-ETL Integration {name} is now ACTIVE.',
  },
  '0014': {
    category: 'Monitoring',
    severity: 'ERROR',
    message:
      'Your integration {name} is in FAILED state because we are unable to modify it due to an internal error. Delete and recreate the integration. If the error persists, contact AWS Support.',
    status: RECREATE,
  },
  '0016': {
    category: 'Operation',
    severity: 'INFO',
    message: 'Your zero-ETL integration {name} is processing a modification request.',
  },
  '0017': {
    category: 'Operation',
    severity: 'INFO',
    message: 'Your modification to zero-ETL integration {name} has been applied.',
  },
  '0018': {
    category: 'Operation',
    severity: 'WARNING',
    message:
      'Target Amazon Redshift cluster is being paused. Wait for the cluster to be paused and then resume the cluster to continue streaming data.',
    status: 'needs_attention',
  },
  '0019': {
    category: 'Operation',
    severity: 'WARNING',
    message:
      'Target Amazon Redshift cluster is paused. The cluster must be resumed in order to continue streaming data.',
    status: 'needs_attention',
  },
  '0020': {
    category: 'Operation',
    severity: 'WARNING',
    message:
      'Target Amazon Redshift cluster is being resumed. Wait for the cluster to be active to continue streaming data.',
    status: 'needs_attention',
  },
  '0025': {
    category: 'Monitoring',
    severity: 'ERROR',
    message:
      "A serverless restore was invoked on the destination serverless namespace, and your integration is deactivated because it's not available in the restored snapshot. Restore a snapshot which is created when the integration is available, or delete the integration.",
    status: RECREATE,
  },
  '1000': {
    category: 'Configuration',
    severity: 'ERROR',
    message:
      'One or more parameters on the source Aurora DB cluster are misconfigured. Fix the parameter group and reboot the cluster to apply the changes, then recreate the integration.',
    status: RECREATE,
  },
  '1001': {
    category: 'Configuration',
    severity: 'ERROR',
    message:
      'Integration failed because the value of the enable_case_sensitive_identifier parameter is incorrect. Set the value to true for the source Aurora DB cluster, then delete and recreate the integration.',
    status: RECREATE,
  },
  '1002': {
    category: 'Configuration',
    severity: 'ERROR',
    message:
      'Integration failed because the value of the cdc_insert_enabled parameter is incorrect. Set the value to true for the source Aurora DB cluster, then delete and recreate the integration.',
    status: RECREATE,
  },
  '1006': {
    category: 'Configuration',
    severity: 'WARNING',
    message: 'Unable to parse integration filter. Fix the filter syntax.',
    status: 'needs_attention',
  },
};

export const EVENT_ID_PREFIX = 'REDSHIFT-INTEGRATION-EVENT-';

/** `0007`, `7` or `REDSHIFT-INTEGRATION-EVENT-0007` → `0007` (throws for codes not in the catalogue). */
export function eventCode(code: string): string {
  const digits = code.startsWith(EVENT_ID_PREFIX) ? code.slice(EVENT_ID_PREFIX.length) : code;
  const normalized = digits.padStart(4, '0');
  if (!INTEGRATION_EVENTS[normalized]) throw new RangeError(`unknown zero-ETL integration event ${code}`);
  return normalized;
}

export function eventSpec(code: string): IntegrationEventSpec {
  const spec = INTEGRATION_EVENTS[eventCode(code)];
  if (!spec) throw new RangeError(`unknown zero-ETL integration event ${code}`);
  return spec;
}
