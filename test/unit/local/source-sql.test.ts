import type { PGliteInterface } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPGlite } from '../../../local/pglite.js';
import { loadSourceSql, SourceSqlError, splitSourceSql } from '../../../local/zero-etl/source-sql.js';

/** `--source FILE.sql`: splitting plain SQL and pg_dump output, and loading it into a real PGlite. */

const PG_DUMP = `--
-- PostgreSQL database dump
--
\\restrict AbCdEf

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;
COMMENT ON EXTENSION postgis IS 'PostGIS; geometry';

CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN NEW.note := 'touched; really'; RETURN NEW; END;
$fn$;

CREATE TABLE public.orders (
    id bigint NOT NULL,
    note text DEFAULT 'it''s; fine',
    /* a block comment; with a semicolon */
    amount numeric(12,2) NOT NULL
);
ALTER TABLE public.orders OWNER TO app_owner;

COPY public.orders (id, note, amount) FROM stdin;
1	a; b	10.50
2	\\N	5.25
\\.

ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
GRANT SELECT ON TABLE public.orders TO reporting_reader;
INSERT INTO public.orders VALUES (3, E'escaped \\' quote; x', 1.00);
\\unrestrict AbCdEf
`;

let db: PGliteInterface;
beforeAll(async () => {
  db = await freshPGlite();
});
afterAll(() => db.close());

describe('source SQL files', () => {
  it('splits on semicolons outside quotes, dollar quotes, comments and COPY data, with each line', () => {
    const statements = splitSourceSql(PG_DUMP);
    expect(statements.map((s) => [s.line, s.sql.split('\n')[0]])).toEqual([
      [4, '\\restrict AbCdEf'],
      [6, 'SET statement_timeout = 0'],
      [7, "SELECT pg_catalog.set_config('search_path', '', false)"],
      [8, 'CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public'],
      [9, "COMMENT ON EXTENSION postgis IS 'PostGIS; geometry'"],
      [11, 'CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $fn$'],
      [15, 'CREATE TABLE public.orders ('],
      [21, 'ALTER TABLE public.orders OWNER TO app_owner'],
      [23, 'COPY public.orders (id, note, amount) FROM stdin'],
      [28, 'ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id)'],
      [29, 'GRANT SELECT ON TABLE public.orders TO reporting_reader'],
      [30, "INSERT INTO public.orders VALUES (3, E'escaped \\' quote; x', 1.00)"],
      [31, '\\unrestrict AbCdEf'],
    ]);
    expect(statements[8]?.copyData).toBe('1\ta; b\t10.50\n2\t\\N\t5.25\n');
    expect(statements.filter((s) => s.meta)).toHaveLength(2);
  });

  it('loads pg_dump output, COPY data included, skipping and naming what the engine cannot run', async () => {
    const skipped = await loadSourceSql(db, splitSourceSql(PG_DUMP));
    await db.exec('RESET ALL');
    expect(skipped.map((s) => [s.line, s.statement])).toEqual([
      [4, '\\restrict AbCdEf'],
      [8, 'CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public'],
      [9, "COMMENT ON EXTENSION postgis IS 'PostGIS"],
      [21, 'ALTER TABLE public.orders OWNER TO app_owner'],
      [29, 'GRANT SELECT ON TABLE public.orders TO reporting_reader'],
      [31, '\\unrestrict AbCdEf'],
    ]);
    expect(skipped[3]?.reason).toMatch(/role "app_owner" does not exist/);
    const rows = await db.query<{ id: string; note: string | null; amount: string }>(
      'SELECT id::text, note, amount::text FROM public.orders ORDER BY id',
    );
    expect(rows.rows).toEqual([
      { id: '1', note: 'a; b', amount: '10.50' },
      { id: '2', note: null, amount: '5.25' },
      { id: '3', note: "escaped ' quote; x", amount: '1.00' },
    ]);
  });

  it('stops at a statement of the schema itself that fails, naming its line and the reason', async () => {
    const fresh = await freshPGlite();
    try {
      const text =
        'CREATE TABLE public.a (id int PRIMARY KEY);\n\nCREATE TABLE public.b (id int REFERENCES public.missing);\n';
      const error = await loadSourceSql(fresh, splitSourceSql(text)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SourceSqlError);
      expect(error).toMatchObject({
        line: 3,
        statement: 'CREATE TABLE public.b',
        reason: expect.stringMatching(/missing/),
      });
    } finally {
      await fresh.close();
    }
  });
});
