import * as z from 'zod';
import { GroupName, IntegrationArn } from '../project/schema.js';
import { SourceTable, Trigger } from './fields.js';

/**
 * The inputs of the public state machines — what the Step Functions console, the `zeo` CLI, the
 * schedules and the reconcile machine send. Their first steps parse them with these schemas and the
 * CLI validates with the same ones before it starts anything, so both sides agree by construction.
 */

/** curated-refresh: which models, and whether to rebuild unchanged ones. */
export const CuratedRefreshInput = z.strictObject({
  select: z.string().min(1).max(4000).optional(),
  group: GroupName.optional(),
  /** Only models downstream of these landing tables (`source:<table>+` each), e.g. a resync's rebuild. */
  sources: z.array(SourceTable).min(1).max(500).optional(),
  fullRefresh: z.boolean().default(false),
  trigger: Trigger.default('manual'),
});
export type CuratedRefreshInput = z.infer<typeof CuratedRefreshInput>;

/** resync-recovery: the landing tables to wait for, then rebuild downstream of. */
export const ResyncRecoveryInput = z.strictObject({
  tables: z.array(SourceTable).min(1).max(500),
  requestRefresh: z.boolean().default(false),
  trigger: Trigger.default('manual'),
});

/** integration-recovery: the failed integration, why (from its event), and whether to only plan. */
export const IntegrationRecoveryInput = z.strictObject({
  integrationArn: IntegrationArn,
  reason: z
    .strictObject({
      eventId: z
        .string()
        .regex(/^REDSHIFT-INTEGRATION-EVENT-\d{4}$/, 'must be a REDSHIFT-INTEGRATION-EVENT-nnnn id')
        .optional(),
      detailType: z.string().max(128).optional(),
      status: z.string().max(32).optional(),
      message: z.string().max(1000).optional(),
    })
    .default({}),
  dryRun: z.boolean().default(false),
});

/** reconcile takes an aws.redshift event or `{ "trigger": "watchdog" }`; it records and ignores anything else. */
export const ReconcileInput = z.record(z.string(), z.unknown());

/** Each public state machine's input schema, by the name the CLI and the docs use. */
export const STATE_MACHINE_INPUTS: Readonly<Record<string, z.ZodType>> = {
  'curated-refresh': CuratedRefreshInput,
  'resync-recovery': ResyncRecoveryInput,
  'integration-recovery': IntegrationRecoveryInput,
  reconcile: ReconcileInput,
};
