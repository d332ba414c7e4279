import { describe, expect, it } from 'vitest';
import { invalidExecutionName } from '../../../../local/sfn/runner.js';
import { childExecutionName } from '../../../../shared/runtime/execution-names.js';

describe('childExecutionName', () => {
  it('is <parent>-<suffix> when that is a valid name', () => {
    expect(childExecutionName('resync-orders', 'rebuild')).toBe('resync-orders-rebuild');
  });

  it('is valid, at most 80 characters and stable for any parent name', () => {
    for (const parent of ['x'.repeat(72), 'x'.repeat(73), 'y'.repeat(80), 'a.b c/d:e', '😀'.repeat(40)]) {
      const name = childExecutionName(parent, 'rebuild');
      expect(invalidExecutionName(name), `${parent} → ${name}`).toBeUndefined();
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      expect(name.endsWith('-rebuild')).toBe(true);
      expect(childExecutionName(parent, 'rebuild')).toBe(name);
    }
  });

  it('keeps two long names with a common start apart', () => {
    const common = 'console-run-of-the-resync-recovery-for-the-orders-and-order-items-tables-';
    expect(childExecutionName(`${common}1`, 'rebuild')).not.toBe(childExecutionName(`${common}2`, 'rebuild'));
  });
});
