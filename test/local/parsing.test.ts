import { describe, expect, it } from 'vitest';
import { DataApiError } from '../../local/data-api/errors.js';
import { bindAll, bindParameters } from '../../local/data-api/parameters.js';
import { translate } from '../../local/redshift-dialect.js';
import { parseIntegrationCommand } from '../../local/warehouse/integration-commands.js';
import { writeTarget } from '../../local/warehouse/statement-targets.js';
import { tableIncluded } from '../../local/zero-etl/data-filter.js';

/** The local stack's small parsers: database commands, Data API parameters, data filters, DDL. */

describe('zero-ETL database commands', () => {
  it('parses CREATE DATABASE … FROM INTEGRATION with quoted or bare names and options', () => {
    expect(
      parseIntegrationCommand(
        `CREATE DATABASE "Landing" FROM INTEGRATION 'a1b2-c3' DATABASE "shop" SET QUERY_ALL_STATES = TRUE, REFRESH_INTERVAL 60 ACCEPTINVCHARS FALSE;`,
      ),
    ).toEqual({
      kind: 'create-database',
      database: 'Landing',
      integrationId: 'a1b2-c3',
      sourceDatabase: 'shop',
      settings: { queryAllStates: true, refreshInterval: 60, acceptInvChars: false },
    });
    expect(parseIntegrationCommand(`create database zetl from integration 'x' database shop`)).toMatchObject({
      database: 'zetl',
      sourceDatabase: 'shop',
    });
    expect(parseIntegrationCommand('CREATE DATABASE plain')).toEqual({
      kind: 'create-database',
      database: 'plain',
      settings: {},
    });
  });

  it('parses DROP, RENAME, REFRESH and SET', () => {
    expect(parseIntegrationCommand('DROP DATABASE "L" FORCE')).toEqual({
      kind: 'drop-database',
      database: 'L',
      ifExists: false,
    });
    // SQL reference "DROP DATABASE": `DROP DATABASE database_name [ FORCE ]`, no IF EXISTS (facts §10).
    expect(() => parseIntegrationCommand('DROP DATABASE IF EXISTS "L"')).toThrow(
      'syntax error at or near "IF"',
    );
    expect(parseIntegrationCommand('ALTER DATABASE l RENAME TO l_old')).toEqual({
      kind: 'rename-database',
      database: 'l',
      newName: 'l_old',
    });
    expect(
      parseIntegrationCommand('ALTER DATABASE l INTEGRATION REFRESH TABLE public.orders, "S"."T"'),
    ).toEqual({
      kind: 'refresh',
      database: 'l',
      scope: {
        kind: 'tables',
        tables: [
          { schema: 'public', table: 'orders' },
          { schema: 'S', table: 'T' },
        ],
      },
    });
    expect(
      parseIntegrationCommand('ALTER DATABASE l INTEGRATION REFRESH INERROR TABLES IN SCHEMA a, b'),
    ).toEqual({
      kind: 'refresh',
      database: 'l',
      scope: { kind: 'inerror', schemas: ['a', 'b'] },
    });
    expect(parseIntegrationCommand('alter database l integration refresh all tables')).toMatchObject({
      scope: { kind: 'all', schemas: [] },
    });
    expect(
      parseIntegrationCommand('ALTER DATABASE l INTEGRATION SET TRUNCATECOLUMNS = TRUE REFRESH_INTERVAL = 0'),
    ).toEqual({ kind: 'set', database: 'l', settings: { truncateColumns: true, refreshInterval: 0 } });
  });

  it('leaves other statements alone and rejects malformed database commands', () => {
    expect(parseIntegrationCommand('SELECT 1')).toBeUndefined();
    expect(parseIntegrationCommand('CREATE TABLE database (a int)')).toBeUndefined();
    expect(parseIntegrationCommand('ALTER DATABASE l OWNER TO someone')).toBeUndefined();
    expect(() =>
      parseIntegrationCommand('ALTER DATABASE l INTEGRATION REFRESH TABLES public.orders'),
    ).toThrow('syntax error at or near "tables"');
    expect(() => parseIntegrationCommand('ALTER DATABASE l INTEGRATION SET REFRESH_INTERVAL 500000')).toThrow(
      'REFRESH_INTERVAL',
    );
    expect(() => parseIntegrationCommand("CREATE DATABASE l FROM INTEGRATION 'x' DATABASE s EXTRA")).toThrow(
      'syntax error at or near "extra"',
    );
  });
});

describe('Data API parameters', () => {
  const values = new Map([
    ['id', '42'],
    ['name', "x'); DROP TABLE t; --"],
  ]);

  it('turns :name into numbered parameters, reusing numbers for repeated names', () => {
    expect(
      bindParameters('SELECT * FROM t WHERE id = :id OR parent = :id AND name = :name', values),
    ).toMatchObject({
      sql: 'SELECT * FROM t WHERE id = $1 OR parent = $1 AND name = $2',
      params: ['42', "x'); DROP TABLE t; --"],
    });
  });

  it('leaves casts, literals, quoted identifiers, comments and dollar quotes alone', () => {
    const sql = `SELECT :id::int, ':id', ":id", $$ :id $$, $body$ :name $body$ -- :name\n/* :name */ FROM t`;
    expect(bindParameters(sql, values).sql).toBe(
      `SELECT $1::int, ':id', ":id", $$ :id $$, $body$ :name $body$ -- :name\n/* :name */ FROM t`,
    );
  });

  it('requires a value for every placeholder and a placeholder for every value', () => {
    expect(() => bindParameters('SELECT :missing', values)).toThrow(DataApiError);
    expect(() =>
      bindAll(
        ['SELECT :id'],
        [
          { name: 'id', value: '1' },
          { name: 'unused', value: '2' },
        ],
      ),
    ).toThrow("The parameter 'unused' is not used in the SQL.");
    expect(bindAll(['SELECT :id', 'SELECT 2'], [{ name: 'id', value: '1' }]).map((b) => b.sql)).toEqual([
      'SELECT $1',
      'SELECT 2',
    ]);
    // Without Parameters the SQL is not touched.
    expect(bindAll(['SELECT :x'], undefined)[0]?.sql).toBe('SELECT :x');
  });
});

describe('zero-ETL data filters', () => {
  it('includes everything without a filter and follows include/exclude order with one', () => {
    expect(tableIncluded(undefined, 'shop', 'public', 'orders')).toBe(true);
    const filter = 'include: shop.*.*, exclude: shop.public./audit_.*/, include: shop.public.audit_keep';
    expect(tableIncluded(filter, 'shop', 'public', 'orders')).toBe(true);
    expect(tableIncluded(filter, 'shop', 'public', 'audit_log')).toBe(false);
    expect(tableIncluded(filter, 'shop', 'public', 'audit_keep')).toBe(true);
    expect(tableIncluded(filter, 'other', 'public', 'orders')).toBe(false);
    expect(() => tableIncluded('include shop.*.*', 'shop', 'public', 'orders')).toThrow(SyntaxError);
  });
});

describe('write targets', () => {
  it('finds the schema a statement writes to', () => {
    expect(writeTarget('INSERT INTO "L__public".orders VALUES (1)')).toEqual({
      verb: 'INSERT',
      schema: 'L__public',
    });
    expect(writeTarget('  -- note\nTRUNCATE TABLE l__public."Orders"')).toEqual({
      verb: 'TRUNCATE',
      schema: 'l__public',
    });
    expect(writeTarget('CREATE SCHEMA IF NOT EXISTS "x"')).toEqual({ verb: 'CREATE', schema: 'x' });
    expect(writeTarget('WITH d AS (SELECT 1) DELETE FROM s.t USING d')).toEqual({
      verb: 'DELETE',
      schema: 's',
    });
    expect(writeTarget('UPDATE t SET a = 1')).toEqual({ verb: 'UPDATE', schema: undefined });
    expect(writeTarget('SELECT * FROM s.t')).toBeUndefined();
  });
});

describe('Redshift dialect additions', () => {
  const context = { currentDatabase: 'dev', schemaForDatabase: () => undefined };

  it('strips column encodings and reads CTAS table attributes', () => {
    const created = translate(
      'CREATE TABLE s.t (id BIGINT ENCODE az64, "encode" INT, n VARCHAR(3) ENCODE zstd) DISTKEY (id)',
      context,
    );
    expect(created.sql).toBe('CREATE TABLE s.t (id BIGINT, "encode" INT, n VARCHAR(3))');
    expect(created.relation).toBe('s.t');
    const ctas = translate('CREATE TEMP TABLE t2 DISTSTYLE ALL SORTKEY (a) AS SELECT 1 AS a', context);
    expect(ctas.sql).toBe('CREATE TEMP TABLE t2 AS SELECT 1 AS a');
    expect(ctas.design).toMatchObject({ diststyle: 'ALL', sortkey: ['a'] });
  });

  it('marks LIKE copies and IF NOT EXISTS, and turns bare SYSDATE into a call', () => {
    expect(translate('CREATE TABLE IF NOT EXISTS s.a (LIKE s.b)', context)).toMatchObject({
      ifNotExists: true,
      inheritsFrom: 's.b',
    });
    expect(translate('CREATE TABLE s.a (LIKE s.b) DISTSTYLE EVEN', context).inheritsFrom).toBeUndefined();
    expect(translate(`SELECT SYSDATE, "sysdate", 'SYSDATE', sysdate()`, context).sql).toBe(
      `SELECT sysdate(), "sysdate", 'SYSDATE', sysdate()`,
    );
  });
});
