import { COMPATIBILITY_FUNCTIONS, USER_SETTING } from '../redshift-dialect.js';

/**
 * The local warehouse's own catalog, created once per PGlite instance:
 *
 * - `redshift_internal` (no access for Data API sessions): the physical designs Redshift would keep
 *   (keyed by relation OID, so they follow `ALTER TABLE … RENAME` and roll back with the transaction;
 *   an event trigger forgets dropped relations), and the zero-ETL state of the landing databases.
 * - `redshift_sys` (on every session's search path, after `public`): the Redshift system views, as real
 *   views, so plain SQL such as `select * from svv_integration_table_state` works.
 *
 * Column types of the zero-ETL views follow the documentation (facts §2.1–2.3): `character(128)`, which
 * PostgreSQL, like Redshift, returns blank-padded — callers must trim, exactly as on Redshift.
 */

export const INTERNAL_SCHEMA = 'redshift_internal';
export const SYSTEM_SCHEMA = 'redshift_sys';

/** The search path of every session: user objects are created in `public`, system views resolve last. */
export const SEARCH_PATH = `"$user", public, ${SYSTEM_SCHEMA}`;

const designCatalog = [
  `CREATE TABLE ${INTERNAL_SCHEMA}.table_design (
  relid oid PRIMARY KEY,
  diststyle text NOT NULL,
  distkey text,
  sortkey_style text,
  sortkeys text[] NOT NULL DEFAULT '{}'
)`,
  // SECURITY DEFINER: Data API sessions cannot write the catalog themselves. Redshift refuses keys that
  // name missing columns, PostgreSQL would not notice, so the check lives here.
  `CREATE FUNCTION ${INTERNAL_SCHEMA}.record_design(
  p_relation text, p_diststyle text, p_distkey text, p_sortkey_style text, p_sortkeys text[],
  p_if_not_exists boolean, p_inherits_from text
) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  v_relid oid := to_regclass(p_relation);
  v_parent oid := CASE WHEN p_inherits_from IS NULL THEN NULL ELSE to_regclass(p_inherits_from) END;
  v_column text;
BEGIN
  IF v_relid IS NULL THEN RETURN; END IF;
  IF p_if_not_exists AND EXISTS (SELECT 1 FROM ${INTERNAL_SCHEMA}.table_design WHERE relid = v_relid) THEN
    RETURN;
  END IF;
  IF v_parent IS NOT NULL AND EXISTS (SELECT 1 FROM ${INTERNAL_SCHEMA}.table_design WHERE relid = v_parent) THEN
    INSERT INTO ${INTERNAL_SCHEMA}.table_design
      SELECT v_relid, diststyle, distkey, sortkey_style, sortkeys FROM ${INTERNAL_SCHEMA}.table_design WHERE relid = v_parent
      ON CONFLICT (relid) DO NOTHING;
    RETURN;
  END IF;
  FOREACH v_column IN ARRAY array_remove(p_sortkeys || ARRAY[p_distkey], NULL) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = v_relid AND attname = v_column AND attnum > 0 AND NOT attisdropped) THEN
      RAISE EXCEPTION 'column "%" named in % does not exist', v_column,
        CASE WHEN v_column = p_distkey THEN 'DISTKEY' ELSE 'SORTKEY' END
        USING ERRCODE = '42703';
    END IF;
  END LOOP;
  INSERT INTO ${INTERNAL_SCHEMA}.table_design VALUES (v_relid, p_diststyle, p_distkey, p_sortkey_style, p_sortkeys)
    ON CONFLICT (relid) DO UPDATE SET diststyle = EXCLUDED.diststyle, distkey = EXCLUDED.distkey,
      sortkey_style = EXCLUDED.sortkey_style, sortkeys = EXCLUDED.sortkeys;
END $$`,
  `CREATE FUNCTION ${INTERNAL_SCHEMA}.forget_dropped() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  DELETE FROM ${INTERNAL_SCHEMA}.table_design
  WHERE relid IN (SELECT objid FROM pg_event_trigger_dropped_objects() WHERE classid = 'pg_class'::regclass);
END $$`,
  `CREATE EVENT TRIGGER redshift_forget_dropped ON sql_drop EXECUTE FUNCTION ${INTERNAL_SCHEMA}.forget_dropped()`,
  // Row counts for SVV_TABLE_INFO.tbl_rows; definer rights so the view works for every session.
  `CREATE FUNCTION ${INTERNAL_SCHEMA}.row_count(p_relid oid) RETURNS numeric LANGUAGE plpgsql STABLE SECURITY DEFINER AS $$
DECLARE v_count numeric;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s', p_relid::regclass) INTO v_count;
  RETURN v_count;
END $$`,
];

const integrationCatalog = [
  `CREATE TABLE ${INTERNAL_SCHEMA}.integration (
  integration_id text PRIMARY KEY,
  source text NOT NULL DEFAULT 'PostgreSQL',
  error_state boolean NOT NULL DEFAULT false,
  created_at timestamp NOT NULL
)`,
  `CREATE TABLE ${INTERNAL_SCHEMA}.landing_database (
  name text PRIMARY KEY,
  integration_id text NOT NULL,
  source_database text NOT NULL,
  state text NOT NULL DEFAULT 'SchemaDiscoveryState',
  load_pending boolean NOT NULL DEFAULT true,
  created_at timestamp NOT NULL,
  query_all_states boolean NOT NULL DEFAULT false,
  accept_inv_chars boolean NOT NULL DEFAULT false,
  truncate_columns boolean NOT NULL DEFAULT false,
  history_mode boolean NOT NULL DEFAULT false,
  auto_remediation boolean NOT NULL DEFAULT false,
  refresh_interval integer NOT NULL DEFAULT 0,
  current_lag bigint NOT NULL DEFAULT 0,
  last_replicated_checkpoint text,
  latest_detected_change_time timestamp,
  latest_applied_change_time timestamp,
  latest_shipped_source_commit_time timestamp
)`,
  `CREATE TABLE ${INTERNAL_SCHEMA}.landing_table (
  database_name text NOT NULL REFERENCES ${INTERNAL_SCHEMA}.landing_database (name) ON DELETE CASCADE ON UPDATE CASCADE,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  integration_id text NOT NULL,
  table_state text NOT NULL,
  reason text,
  table_last_replicated_checkpoint text,
  last_updated_timestamp timestamp NOT NULL,
  state_since timestamp NOT NULL,
  table_rows bigint NOT NULL DEFAULT 0,
  table_size bigint NOT NULL DEFAULT 0,
  source_signature text,
  PRIMARY KEY (database_name, schema_name, table_name)
)`,
  `CREATE TABLE ${INTERNAL_SCHEMA}.table_state_change (
  seq bigserial PRIMARY KEY,
  integration_id text NOT NULL,
  database_name text NOT NULL,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  new_state text NOT NULL,
  table_last_replicated_checkpoint text,
  state_change_reason text,
  record_time timestamp NOT NULL
)`,
  // Which landing tables a Data API session may read: Synced ones, or all when QUERY_ALL_STATES is on,
  // or all once the integration is gone (the data stays queryable, facts §3.3).
  `CREATE FUNCTION ${INTERNAL_SCHEMA}.apply_landing_access(p_database text, p_role text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT t.schema_name, t.table_name,
      (t.table_state = 'Synced' OR d.query_all_states OR i.integration_id IS NULL) AS readable
    FROM ${INTERNAL_SCHEMA}.landing_table t
    JOIN ${INTERNAL_SCHEMA}.landing_database d ON d.name = t.database_name
    LEFT JOIN ${INTERNAL_SCHEMA}.integration i ON i.integration_id = d.integration_id
    WHERE t.database_name = p_database
  LOOP
    IF to_regclass(format('%I.%I', p_database || '__' || r.schema_name, r.table_name)) IS NULL THEN
      CONTINUE;
    END IF;
    IF r.readable THEN
      EXECUTE format('GRANT SELECT ON %I.%I TO %I', p_database || '__' || r.schema_name, r.table_name, p_role);
    ELSE
      EXECUTE format('REVOKE SELECT ON %I.%I FROM %I', p_database || '__' || r.schema_name, r.table_name, p_role);
    END IF;
  END LOOP;
END $$`,
];

function systemViews(database: string): string[] {
  const db = `'${database.replaceAll("'", "''")}'`;
  const c128 = (expr: string) => `CAST(${expr} AS character(128))`;
  return [
    // SVV_TABLE_INFO, like Redshift: user tables of the connected database only (not the zero-ETL
    // databases), and no rows for empty tables. Local extensions after the documented columns:
    // distkey, sortkey_style (COMPOUND | INTERLEAVED | AUTO | null), interleaved, sortkeys.
    `CREATE VIEW ${SYSTEM_SCHEMA}.svv_table_info AS
SELECT *
FROM (
  SELECT
    CAST(${db} AS text) AS "database",
    CAST(n.nspname AS text) AS "schema",
    c.oid AS table_id,
    CAST(c.relname AS text) AS "table",
    CAST('N' AS text) AS encoded,
    CAST(CASE d.diststyle
      WHEN 'KEY' THEN 'KEY(' || d.distkey || ')'
      WHEN 'EVEN' THEN 'EVEN'
      WHEN 'ALL' THEN 'ALL'
      ELSE 'AUTO(ALL)' END AS text) AS diststyle,
    CAST(CASE WHEN d.sortkey_style = 'AUTO' THEN 'AUTO(SORTKEY)' ELSE d.sortkeys[1] END AS text) AS sortkey1,
    CAST(COALESCE(cardinality(d.sortkeys), 0) AS integer) AS sortkey_num,
    CAST(ceil(pg_total_relation_size(c.oid) / 1048576.0) AS bigint) AS size,
    CAST(${INTERNAL_SCHEMA}.row_count(c.oid) AS numeric(38, 0)) AS tbl_rows,
    CAST(d.distkey AS text) AS distkey,
    CAST(d.sortkey_style AS text) AS sortkey_style,
    COALESCE(d.sortkey_style = 'INTERLEAVED', false) AS interleaved,
    CAST(array_to_string(d.sortkeys, ',') AS text) AS sortkeys
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN ${INTERNAL_SCHEMA}.table_design d ON d.relid = c.oid
  WHERE c.relkind IN ('r', 'm')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema', '${INTERNAL_SCHEMA}', '${SYSTEM_SCHEMA}')
    AND n.nspname NOT LIKE 'pg\\_%'
    AND NOT EXISTS (
      SELECT 1 FROM ${INTERNAL_SCHEMA}.landing_database l
      WHERE left(n.nspname, length(l.name) + 2) = l.name || '__'
    )
) t
WHERE tbl_rows > 0`,
    // The Redshift way to see interleaved sort keys (one row per interleaved sort key column).
    `CREATE VIEW ${SYSTEM_SCHEMA}.svv_interleaved_columns AS
SELECT CAST(d.relid AS integer) AS tbl, CAST(a.attnum - 1 AS integer) AS col,
  CAST(NULL AS numeric(19, 2)) AS interleaved_skew, CAST(NULL AS timestamp) AS last_reindex
FROM ${INTERNAL_SCHEMA}.table_design d
JOIN pg_attribute a ON a.attrelid = d.relid AND a.attname = ANY (d.sortkeys)
WHERE d.sortkey_style = 'INTERLEAVED'`,
    // The connected database and every landing database (SQL reference "SVV_REDSHIFT_DATABASES").
    `CREATE VIEW ${SYSTEM_SCHEMA}.svv_redshift_databases AS
SELECT CAST('${database.replaceAll("'", "''")}' AS varchar(128)) AS database_name, 1 AS database_owner,
  CAST('local' AS varchar(32)) AS database_type, CAST(NULL AS varchar(128)) AS database_acl,
  CAST(NULL AS varchar(128)) AS database_options, CAST('Snapshot Isolation' AS varchar(128)) AS database_isolation_level
UNION ALL
SELECT CAST(d.name AS varchar(128)), 1, CAST('local' AS varchar(32)), CAST(NULL AS varchar(128)),
  CAST(NULL AS varchar(128)), CAST('Snapshot Isolation' AS varchar(128))
FROM ${INTERNAL_SCHEMA}.landing_database d`,
    `CREATE VIEW ${SYSTEM_SCHEMA}.svv_integration AS
SELECT
  ${c128('i.integration_id')} AS integration_id,
  ${c128("COALESCE(d.name, '')")} AS target_database,
  ${c128('i.source')} AS source,
  ${c128(`CASE WHEN i.error_state THEN 'ErrorState' WHEN d.name IS NULL THEN 'PendingDbConnectState' ELSE d.state END`)} AS state,
  CAST(COALESCE(d.current_lag, 0) AS bigint) AS current_lag,
  ${c128('d.last_replicated_checkpoint')} AS last_replicated_checkpoint,
  CAST((SELECT count(*) FROM ${INTERNAL_SCHEMA}.landing_table t WHERE t.database_name = d.name AND t.table_state = 'Synced') AS integer) AS total_tables_replicated,
  CAST((SELECT count(*) FROM ${INTERNAL_SCHEMA}.landing_table t WHERE t.database_name = d.name AND t.table_state = 'Failed') AS integer) AS total_tables_failed,
  d.created_at AS creation_time,
  CAST(COALESCE(d.refresh_interval, 0) AS integer) AS refresh_interval,
  ${c128("COALESCE(d.source_database, '')")} AS source_database,
  COALESCE(d.history_mode, false) AS is_history_mode,
  d.latest_detected_change_time,
  d.latest_applied_change_time,
  COALESCE(d.auto_remediation, false) AS auto_remediation,
  d.latest_shipped_source_commit_time
FROM ${INTERNAL_SCHEMA}.integration i
LEFT JOIN ${INTERNAL_SCHEMA}.landing_database d ON d.integration_id = i.integration_id
WHERE ${SUPERUSER_ROWS}`,
    `CREATE VIEW ${SYSTEM_SCHEMA}.svv_integration_table_state AS
SELECT
  ${c128('t.integration_id')} AS integration_id,
  ${c128('t.database_name')} AS target_database,
  ${c128('t.schema_name')} AS schema_name,
  ${c128('t.table_name')} AS table_name,
  ${c128('t.table_state')} AS table_state,
  ${c128('t.table_last_replicated_checkpoint')} AS table_last_replicated_checkpoint,
  CAST(t.reason AS character(256)) AS reason,
  t.last_updated_timestamp,
  t.table_rows,
  t.table_size,
  d.history_mode AS is_history_mode
FROM ${INTERNAL_SCHEMA}.landing_table t
JOIN ${INTERNAL_SCHEMA}.landing_database d ON d.name = t.database_name
JOIN ${INTERNAL_SCHEMA}.integration i ON i.integration_id = t.integration_id
WHERE ${SUPERUSER_ROWS}`,
    `CREATE VIEW ${SYSTEM_SCHEMA}.sys_integration_table_state_change AS
SELECT
  ${c128('integration_id')} AS integration_id,
  ${c128('database_name')} AS database_name,
  ${c128('schema_name')} AS schema_name,
  ${c128('table_name')} AS table_name,
  ${c128('new_state')} AS new_state,
  ${c128('table_last_replicated_checkpoint')} AS table_last_replicated_checkpoint,
  CAST(state_change_reason AS character(256)) AS state_change_reason,
  record_time
FROM ${INTERNAL_SCHEMA}.table_state_change
WHERE ${SUPERUSER_ROWS}`,
  ];
}

/**
 * Set per request: `off` when the request's database user is not a superuser. The integration views are
 * "visible only to superusers" (SQL reference SVV_INTEGRATION, SVV_INTEGRATION_TABLE_STATE,
 * SYS_INTEGRATION_TABLE_STATE_CHANGE): anybody else reads them without error and gets no rows.
 */
export const SYSTEM_ROWS_SETTING = 'local_redshift.superuser';
const SUPERUSER_ROWS = `current_setting('${SYSTEM_ROWS_SETTING}', true) IS DISTINCT FROM 'off'`;

/**
 * `current_user` and `pg_user` as Redshift would answer them for the request's database user (the
 * dialect rewrites both names to these): everyone may read pg_user; `usesuper` is the warehouse's view
 * of that user.
 */
function userCatalog(): string[] {
  return [
    `CREATE FUNCTION ${SYSTEM_SCHEMA}.database_user() RETURNS varchar(128) LANGUAGE sql STABLE AS $$ SELECT CAST(COALESCE(NULLIF(current_setting('${USER_SETTING}', true), ''), session_user) AS varchar(128)) $$`,
    // Objects the Data API session creates belong to its PostgreSQL role, which stands for whichever
    // database user sent the request: their owner is reported as the current request's user.
    `CREATE FUNCTION ${SYSTEM_SCHEMA}.get_userbyid(owner oid) RETURNS varchar(128) LANGUAGE sql STABLE AS $$ SELECT CASE WHEN owner = (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN ${SYSTEM_SCHEMA}.database_user() ELSE CAST(pg_get_userbyid(owner) AS varchar(128)) END $$`,
    `CREATE VIEW ${SYSTEM_SCHEMA}.pg_user AS SELECT ${SYSTEM_SCHEMA}.database_user() AS usename, 100 AS usesysid, ${SUPERUSER_ROWS} AS usecreatedb, ${SUPERUSER_ROWS} AS usesuper, false AS usecatupd, CAST('********' AS varchar(8)) AS passwd, CAST(NULL AS timestamp) AS valuntil, CAST(NULL AS text[]) AS useconfig`,
  ];
}

const quoteRole = (role: string) => `"${role.replaceAll('"', '""')}"`;

/** Everything a fresh PGlite needs to act as the warehouse `database` for Data API role `sessionRole`. */
export function catalogSetupStatements(options: {
  database: string;
  sessionRole: string;
  roles: readonly string[];
}): string[] {
  const role = quoteRole(options.sessionRole);
  return [
    `CREATE SCHEMA ${INTERNAL_SCHEMA}`,
    `CREATE SCHEMA ${SYSTEM_SCHEMA}`,
    ...COMPATIBILITY_FUNCTIONS,
    ...designCatalog,
    ...integrationCatalog,
    ...systemViews(options.database),
    ...userCatalog(),
    `CREATE ROLE ${role} CREATEROLE`,
    ...options.roles.map((r) => `CREATE ROLE ${quoteRole(r)}`),
    `DO $$ BEGIN EXECUTE format('GRANT CREATE, TEMPORARY ON DATABASE %I TO %s', current_database(), '${role.replaceAll("'", "''")}'); END $$`,
    `GRANT ALL ON SCHEMA public TO ${role}`,
    `GRANT USAGE ON SCHEMA ${SYSTEM_SCHEMA} TO ${role}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA ${SYSTEM_SCHEMA} TO ${role}`,
    `GRANT USAGE ON SCHEMA ${INTERNAL_SCHEMA} TO ${role}`,
    `GRANT EXECUTE ON FUNCTION ${INTERNAL_SCHEMA}.record_design(text, text, text, text, text[], boolean, text) TO ${role}`,
  ];
}
