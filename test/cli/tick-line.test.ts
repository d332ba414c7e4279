import { describe, expect, it } from 'vitest';
import { tickLine } from '../../cli/tick-line.js';

describe('tickLine (one line per dispatcher tick in zeo run)', () => {
  it('names what a tick started, finished and failed, and what is still building', () => {
    expect(
      tickLine({
        last: {
          started: ['fct_orders'],
          finished: ['stg_payments'],
          failed: ['dim_customers'],
          skipped: 2,
          building: ['dim_products', 'fct_orders'],
          pending: 3,
        },
      }),
    ).toBe(
      'finished stg_payments · failed dim_customers · skipped 2 · started fct_orders · building dim_products, fct_orders · 3 not started',
    );
  });

  it('says nothing for a tick that changed nothing, or for output that is not a tick', () => {
    expect(tickLine({ last: { started: [], finished: [], failed: [], skipped: 0, building: ['a'] } })).toBe(
      undefined,
    );
    expect(tickLine({ status: 'succeeded' })).toBe(undefined);
    expect(tickLine(null)).toBe(undefined);
  });

  it('shortens long lists', () => {
    const many = Array.from({ length: 9 }, (_, i) => `m${i}`);
    expect(tickLine({ last: { started: many } })).toBe('started m0, m1, m2, m3, m4, m5 +3');
  });
});
