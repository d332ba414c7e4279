import { describe, expect, it } from 'vitest';
import { recordReconcile } from '../../../../functions/record-reconcile/core.js';
import { CHECKPOINT_NAME } from '../../../../shared/sql/reconcile.js';
import { fakeWarehouse } from '../../../helpers/fake-ports.js';

/**
 * recordReconcile over a fake warehouse: the checkpoint it advances (only a valid timestamp), the
 * decision row it logs (child and note as parameters, no child as SQL NULL) and the outcome it names.
 */

const base = {
  route: 'resync-recovery' as const,
  trigger: 'watchdog' as const,
  note: 'tables resyncing or resynced: public.orders',
  childName: 'resync-abc',
  checkpoint: null,
};

describe('recordReconcile', () => {
  it('advances the checkpoint, normalised to the warehouse timestamp form, in one transaction', async () => {
    const wh = fakeWarehouse();
    await recordReconcile(
      { ...base, checkpoint: '2026-12-03T10:15:00.123456Z', started: { ExecutionArn: 'arn:x' } },
      { warehouse: wh.port },
    );
    const [checkpoint] = wh.sent;
    expect(checkpoint?.kind).toBe('runTransaction');
    expect(checkpoint?.sqls[0]).toMatch(/^DELETE FROM .*checkpoint/);
    expect(checkpoint?.sqls[0]).toContain(`'${CHECKPOINT_NAME}'`);
    expect(checkpoint?.sqls[1]).toContain("'2026-12-03 10:15:00.123456'");
  });

  it('keeps the old checkpoint when there is none, or when it is not a timestamp (never spliced into SQL)', async () => {
    for (const checkpoint of [null, "2026-12-03'; DROP TABLE zeo.run_log; --"]) {
      const wh = fakeWarehouse();
      await recordReconcile({ ...base, checkpoint }, { warehouse: wh.port });
      expect(wh.sent.map((s) => s.options.statementName)).toEqual(['zeo:reconcile:log']);
      expect(wh.sqls().join('\n')).not.toContain('DROP TABLE');
    }
  });

  it('logs the decision with its child and outcome; the note is a parameter, never SQL text', async () => {
    const wh = fakeWarehouse();
    const out = await recordReconcile(
      { ...base, note: "it's resyncing", started: { ExecutionArn: 'arn:x' } },
      { warehouse: wh.port },
    );
    expect(out).toEqual({ route: 'resync-recovery', childName: 'resync-abc', outcome: 'started' });
    const [log] = wh.writes();
    expect(log?.sqls[0]).toContain("'watchdog', 'resync-recovery', :child, :note");
    expect(log?.sqls[0]).not.toContain("it's");
    expect(log?.options.parameters).toEqual({ child: 'resync-abc', note: "it's resyncing [started]" });
  });

  it('a duplicate start is logged as such, even when the start result is there too', async () => {
    const wh = fakeWarehouse();
    const out = await recordReconcile(
      {
        ...base,
        started: {},
        duplicate: { Error: 'StepFunctions.ExecutionAlreadyExistsException', Cause: 'exists' },
      },
      { warehouse: wh.port },
    );
    expect(out.outcome).toBe('already started (duplicate)');
    expect(wh.writes()[0]?.options.parameters?.note).toMatch(/\[already started \(duplicate\)\]$/);
  });

  it('no child (route none, or an empty name) is SQL NULL, not an empty Data API parameter', async () => {
    for (const childName of [null, '']) {
      const wh = fakeWarehouse();
      const out = await recordReconcile({ ...base, route: 'none', childName }, { warehouse: wh.port });
      expect(out.outcome).toBe('no child');
      const [log] = wh.writes();
      expect(log?.sqls[0]).toContain("'none', NULL, :note");
      expect(log?.options.parameters).toEqual({ note: `${base.note} [no child]` });
    }
  });

  it('a note longer than a Data API parameter holds is cut to 4,000 characters', async () => {
    const wh = fakeWarehouse();
    await recordReconcile({ ...base, note: 'x'.repeat(5000) }, { warehouse: wh.port });
    expect(wh.writes()[0]?.options.parameters?.note).toHaveLength(4000);
  });
});
