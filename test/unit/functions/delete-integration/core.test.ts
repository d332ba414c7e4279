import { describe, expect, it } from 'vitest';
import { DeleteIntegrationEvent, deleteIntegration } from '../../../../functions/delete-integration/core.js';
import { IntegrationBusyError } from '../../../../shared/errors.js';
import { fakeIntegrations } from '../../../helpers/fake-ports.js';

/** deleteIntegration over a fake RDS port: what it deletes, a busy integration, the input it accepts. */

const ARN = 'arn:aws:rds:us-east-1:123456789012:integration:5b2c7c4e-1f0a';
const log = () => undefined;

describe('deleteIntegration', () => {
  it('deletes the approved integration and says which', async () => {
    const rds = fakeIntegrations([]);
    const out = await deleteIntegration({ integrationArn: ARN }, { integrations: rds.port, log });
    expect(rds.deleted).toEqual([ARN]);
    expect(out).toEqual({ deleteRequested: ARN });
  });

  it('a busy integration surfaces as IntegrationBusyError, the class the state machine retries', async () => {
    const rds = fakeIntegrations([], {
      delete: () => {
        throw new IntegrationBusyError('IntegrationConflictOperationFault: in progress');
      },
    });
    await expect(
      deleteIntegration({ integrationArn: ARN }, { integrations: rds.port, log }),
    ).rejects.toMatchObject({
      name: 'IntegrationBusyError',
    });
  });

  it('the input schema accepts only an RDS integration ARN', () => {
    expect(DeleteIntegrationEvent.safeParse({ integrationArn: ARN }).success).toBe(true);
    for (const integrationArn of [
      'arn:aws:rds:us-east-1:123456789012:cluster:shop',
      'integration:5b2c',
      '',
    ]) {
      const parsed = DeleteIntegrationEvent.safeParse({ integrationArn });
      expect(parsed.success, integrationArn).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['integrationArn']);
    }
  });
});
