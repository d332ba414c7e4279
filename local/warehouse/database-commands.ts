import { RedshiftSqlError } from './errors.js';
import type { IntegrationCommand } from './integration-commands.js';
import {
  applyAccess,
  createLandingDatabase,
  type Db,
  dropLandingDatabase,
  integrationExists,
  type LandingDatabase,
  landingDatabases,
  renameLandingDatabase,
  setTableState,
  tablesToRefresh,
  updateSettings,
} from './landing.js';

/**
 * Performs CREATE DATABASE … FROM INTEGRATION, DROP DATABASE, ALTER DATABASE … RENAME and
 * ALTER DATABASE … INTEGRATION REFRESH | SET on the warehouse's zero-ETL catalog, with Redshift's
 * refusals. Runs as superuser inside the request's transaction.
 */

export interface DatabaseCommandContext {
  /** The connected database (`dev`). */
  connected: string;
  sessionRole: string;
  now: Date;
  /** The simulator's say on the source database; a message refuses the CREATE. */
  checkSourceDatabase?: (integrationId: string, sourceDatabase: string) => string | undefined;
}

export async function runDatabaseCommand(
  db: Db,
  command: IntegrationCommand,
  context: DatabaseCommandContext,
): Promise<void> {
  const databases = await landingDatabases(db);
  const find = (name: string) => databases.find((d) => d.name === name);
  switch (command.kind) {
    case 'create-database':
      return createDatabase(db, command, context, databases);
    case 'drop-database': {
      if (command.database === context.connected) {
        throw new RedshiftSqlError('cannot drop the currently open database', '55006');
      }
      const target = find(command.database);
      if (!target) {
        if (command.ifExists) return;
        throw new RedshiftSqlError(`database "${command.database}" does not exist`, '3D000');
      }
      if (target.attached) {
        // "You must first delete any integrations that are associated with a destination database
        // before deleting the destination database." ([RS-LIM])
        throw new RedshiftSqlError(
          `cannot drop database "${target.name}" while zero-ETL integration '${target.integrationId}' uses it; delete the integration first`,
          '55006',
        );
      }
      return dropLandingDatabase(db, target.name);
    }
    case 'rename-database': {
      const target = find(command.database);
      if (!target) {
        throw new RedshiftSqlError(
          command.database === context.connected
            ? 'local stack: the connected database cannot be renamed'
            : `database "${command.database}" does not exist`,
          '3D000',
        );
      }
      if (command.newName === context.connected || find(command.newName)) {
        throw new RedshiftSqlError(`database "${command.newName}" already exists`, '42P04');
      }
      return renameLandingDatabase(db, target.name, command.newName);
    }
    case 'refresh': {
      const target = attached(find(command.database), command.database, context);
      const { tables, missing } = await tablesToRefresh(db, target.name, command.scope);
      const first = missing[0];
      if (first) {
        throw new RedshiftSqlError(
          `table "${first.schema}.${first.table}" does not exist in database "${target.name}"`,
          '42P01',
        );
      }
      for (const table of tables) {
        await setTableState(db, {
          database: target.name,
          schema: table.schema,
          table: table.table,
          integrationId: target.integrationId,
          state: 'ResyncRequired',
          reason: 'Refresh requested with ALTER DATABASE … INTEGRATION REFRESH',
          now: context.now,
        });
      }
      return applyAccess(db, target.name, context.sessionRole);
    }
    case 'set': {
      const target = attached(find(command.database), command.database, context);
      await updateSettings(db, target.name, command.settings);
      return applyAccess(db, target.name, context.sessionRole);
    }
  }
}

function attached(target: LandingDatabase | undefined, name: string, context: DatabaseCommandContext) {
  if (!target) {
    if (name === context.connected) {
      throw new RedshiftSqlError(`database "${name}" is not a zero-ETL integration database`, '55000');
    }
    throw new RedshiftSqlError(`database "${name}" does not exist`, '3D000');
  }
  if (!target.attached) {
    throw new RedshiftSqlError(
      `database "${name}" is no longer associated with integration '${target.integrationId}'`,
      '55000',
    );
  }
  return target;
}

async function createDatabase(
  db: Db,
  command: Extract<IntegrationCommand, { kind: 'create-database' }>,
  context: DatabaseCommandContext,
  databases: readonly LandingDatabase[],
): Promise<void> {
  const { database, integrationId, sourceDatabase } = command;
  if (integrationId === undefined) {
    throw new RedshiftSqlError(
      'local stack: only CREATE DATABASE … FROM INTEGRATION is supported (curated tables live in schemas of the connected database)',
      '0A000',
    );
  }
  if (database === context.connected || databases.some((d) => d.name === database)) {
    throw new RedshiftSqlError(`database "${database}" already exists`, '42P04');
  }
  if (!(await integrationExists(db, integrationId))) {
    throw new RedshiftSqlError(`integration '${integrationId}' does not exist`, '42704');
  }
  if (sourceDatabase === undefined) {
    throw new RedshiftSqlError(
      'a zero-ETL integration with an Aurora PostgreSQL source needs DATABASE <source database>',
      '42601',
    );
  }
  const problem = context.checkSourceDatabase?.(integrationId, sourceDatabase);
  if (problem) throw new RedshiftSqlError(problem, '3D000');
  const twin = databases.find(
    (d) => d.integrationId === integrationId && d.sourceDatabase === sourceDatabase,
  );
  if (twin) {
    throw new RedshiftSqlError(
      `integration '${integrationId}' already replicates source database "${sourceDatabase}" into database "${twin.name}"`,
      '42P04',
    );
  }
  await createLandingDatabase(db, {
    name: database,
    integrationId,
    sourceDatabase,
    settings: command.settings,
    now: context.now,
  });
}
