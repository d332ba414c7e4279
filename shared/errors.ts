/**
 * Every failure the orchestrator can report has its own class with an explicit `name`.
 * Those names are the vocabulary of the state machines' Retry/Catch blocks (Lambda reports
 * `errorType = error.name`), so renaming one is a breaking change for the ASL files.
 */

export interface ValidationIssue {
  /** The file the problem is in, relative to the project folder (or `input` for console input). */
  file: string;
  /** The field (dotted path) or template expression concerned. */
  field?: string;
  /** 1-based line in `file`, when known. */
  line?: number;
  message: string;
}

export function formatIssue(issue: ValidationIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  const field = issue.field ? ` ${issue.field}:` : '';
  return `${where}:${field} ${issue.message}`;
}

/** The curated project (project.yml, models/*.sql, models/*.yml) is invalid. Lists every problem found. */
export class ProjectValidationError extends Error {
  override name = 'ProjectValidationError';
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    super(
      `curated project is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues
        .map((i) => `  - ${formatIssue(i)}`)
        .join('\n')}`,
    );
    this.issues = issues;
  }
}

/** A model selector (`model+`, `source:public.orders+`, …) cannot be parsed or names nothing known. */
export class SelectorError extends Error {
  override name = 'SelectorError';
}

/** A model name that is not in the project / manifest. */
export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
  constructor(readonly model: string) {
    super(`unknown model '${model}'`);
  }
}

/** Input of a state machine or Lambda step (console, CLI, EventBridge) does not match its schema. */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    super(`invalid input: ${issues.map((i) => `${i.field ?? '(root)'}: ${i.message}`).join('; ')}`);
    this.issues = issues;
  }
}

/** An identifier failed the strict pattern, so it must never reach SQL. */
export class InvalidIdentifierError extends Error {
  override name = 'InvalidIdentifierError';
}

/** Generated SQL would exceed a Data API limit (100 KB per statement). */
export class StatementTooLargeError extends Error {
  override name = 'StatementTooLargeError';
}

// ---- Runtime failures of the Lambda steps (names are ASL Retry/Catch vocabulary) ----

/** The Data API refused work for now (ThrottlingException, Active{Statements,WaitingRequests,Sessions}Exceeded): retry later. */
export class DataApiThrottledError extends Error {
  override name = 'DataApiThrottledError';
}

/** A short bookkeeping/metadata statement did not finish within the synchronous wait: retry the step. */
export class StatementStillRunningError extends Error {
  override name = 'StatementStillRunningError';
}

/**
 * A statement was stopped because Redshift could not serialise it with a concurrent transaction
 * (ERROR 1023, developer guide "Serializable isolation"). It rolled back and says nothing about the SQL:
 * "retry the canceled transaction" — the step is retried (bounded by the ASL), never failed for it.
 */
export class SerializationConflictError extends Error {
  override name = 'SerializationConflictError';
}

/** A warehouse statement the orchestrator itself issued (not a model build) failed. */
export class WarehouseStatementError extends Error {
  override name = 'WarehouseStatementError';
}

/** A model build was polled more often than its bound allows; it is cancelled and recorded as failed. */
export class BuildTimeoutError extends Error {
  override name = 'BuildTimeoutError';
}

/** Source tables did not return to Synced within recovery.resyncTimeoutMinutes. */
export class ResyncTimeoutError extends Error {
  override name = 'ResyncTimeoutError';
}

/** The integration is busy (IntegrationConflictOperationFault / InvalidIntegrationStateFault): retry later. */
export class IntegrationBusyError extends Error {
  override name = 'IntegrationBusyError';
}

/** A recreated integration did not become active (or its tables Synced) within the configured time. */
export class IntegrationTimeoutError extends Error {
  override name = 'IntegrationTimeoutError';
}

/** A guardrail refused to delete/recreate the integration (not ours, disabled, breaker, config error). */
export class RecoveryBlockedError extends Error {
  override name = 'RecoveryBlockedError';
}

/** One or more curated models failed in a refresh (raised by the state machine's Fail state). */
export class CuratedRefreshFailedError extends Error {
  override name = 'CuratedRefreshFailedError';
}

/** Another execution has held a model's build lease for longer than any build takes. */
export class ModelBusyError extends Error {
  override name = 'ModelBusyError';
}

/**
 * A model to build reads a curated model that is neither in this refresh nor ever built: its SELECT
 * could only fail with "relation does not exist", so it fails before any SQL is sent, saying so.
 */
export class UpstreamNotBuiltError extends Error {
  override name = 'UpstreamNotBuiltError';
}

/**
 * A build failed because a landing table or column its SQL reads no longer exists: source DDL (a
 * rename, a dropped column) reached the landing zone. Recorded, not thrown (shared/refresh/schema-drift.ts).
 */
export class SourceSchemaDriftError extends Error {
  override name = 'SourceSchemaDriftError';
}

/** A model was building when its refresh's dispatcher failed for good; StopBuilds cancelled and fenced it. */
export class RefreshStoppedError extends Error {
  override name = 'RefreshStoppedError';
}

/** A step started without a compiled curated project: nothing bundled one and nothing passed one in. */
export class ManifestUnavailableError extends Error {
  override name = 'ManifestUnavailableError';
}

/** A step that uses the Data API started without the warehouse role to run its statements under. */
export class WarehouseRoleUnsetError extends Error {
  override name = 'WarehouseRoleUnsetError';
}
