/**
 * A statement failed the way it would on Redshift. `message` is the text after `ERROR: `; the Data API
 * reports `ERROR: <message>` (see `redshiftText`).
 */
export class RedshiftSqlError extends Error {
  override name = 'RedshiftSqlError';

  constructor(
    message: string,
    /** The PostgreSQL SQLSTATE, when PostgreSQL raised it. */
    readonly code?: string,
  ) {
    super(message);
  }

  get redshiftText(): string {
    return `ERROR: ${this.message}`;
  }
}

/** A statement stopped because it was cancelled (CancelStatement or an operator abort). */
export class StatementAbortedError extends Error {
  override name = 'StatementAbortedError';
}

interface PgErrorShape {
  message: string;
  code?: string;
}

export function isPgError(error: unknown): error is Error & PgErrorShape {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}
