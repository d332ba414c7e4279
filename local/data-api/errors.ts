/** Error types the Data API returns (the SDK turns `__type` into a typed exception). */
export type DataApiErrorType =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ActiveStatementsExceededException'
  | 'ActiveSessionsExceededException'
  | 'ActiveWaitingRequestsExceededException'
  | 'BatchExecuteStatementException'
  | 'ExecuteStatementException'
  | 'InternalServerException'
  | 'DatabaseConnectionException'
  | 'QueryTimeoutException'
  | 'ThrottlingException'
  | 'AccessDeniedException';

/** A Data API error reply: HTTP 400 (500 for InternalServerException) `{ "__type", "message" }`. */
export class DataApiError extends Error {
  override name = 'DataApiError';

  constructor(
    readonly type: DataApiErrorType,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }

  get httpStatus(): number {
    return this.type === 'InternalServerException' ? 500 : 400;
  }

  toJson(): string {
    return JSON.stringify({ __type: this.type, message: this.message, Message: this.message, ...this.extra });
  }
}
