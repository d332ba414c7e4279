import { describe, expect, it } from 'vitest';
import { describeIntegration } from '../../../../functions/describe-integration/core.js';
import { fakeIntegrations, integration } from '../../../helpers/fake-ports.js';

/** describeIntegration over a fake RDS port: the status the Wait loops read, 'gone', and the deadline. */

const info = integration('5b2c7c4e-1f0a', {
  status: 'needs_attention',
  errors: [{ code: 'REDSHIFT-INTEGRATION-EVENT-0009', message: 'resync needed' }],
});
const deadline = '2026-12-03T12:00:00.000Z';
const at = (iso: string) => () => new Date(iso);

describe('describeIntegration', () => {
  it('reports the status and errors of the integration, not timed out before the deadline', async () => {
    const rds = fakeIntegrations([info]);
    const out = await describeIntegration(
      { integrationArn: info.arn, deadline },
      { integrations: rds.port, now: at('2026-12-03T11:59:59.999Z') },
    );
    expect(out).toEqual({ status: 'needs_attention', errors: info.errors, timedOut: false });
    expect(rds.described).toEqual([info.arn]);
  });

  it("an integration that no longer exists is 'gone', with no errors", async () => {
    const out = await describeIntegration(
      { integrationArn: info.arn, deadline },
      { integrations: fakeIntegrations([]).port, now: at('2026-12-03T10:00:00Z') },
    );
    expect(out).toEqual({ status: 'gone', errors: [], timedOut: false });
  });

  it('is timed out from the deadline itself on', async () => {
    const deps = (now: string) => ({ integrations: fakeIntegrations([info]).port, now: at(now) });
    expect((await describeIntegration({ integrationArn: info.arn, deadline }, deps(deadline))).timedOut).toBe(
      true,
    );
    expect(
      (await describeIntegration({ integrationArn: info.arn, deadline }, deps('2026-12-03T13:00:00Z')))
        .timedOut,
    ).toBe(true);
  });
});
