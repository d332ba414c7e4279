/** The RDS API's integration faults (facts §4.1, §4.3) plus the generic parameter errors. */
export type IntegrationFaultCode =
  | 'IntegrationNotFoundFault'
  | 'IntegrationAlreadyExistsFault'
  | 'IntegrationConflictOperationFault'
  | 'IntegrationQuotaExceededFault'
  | 'InvalidIntegrationStateFault'
  | 'KMSKeyNotAccessibleFault'
  | 'DBClusterNotFoundFault'
  | 'InvalidParameterValue'
  | 'InvalidParameterCombination'
  | 'MissingParameter'
  | 'ThrottlingException';

export class IntegrationFault extends Error {
  override name = 'IntegrationFault';

  constructor(
    readonly code: IntegrationFaultCode,
    message: string,
  ) {
    super(message);
  }

  /** HTTP status the RDS API answers with (the SDK maps NotFound faults from 404). */
  get httpStatus(): number {
    return this.code === 'IntegrationNotFoundFault' || this.code === 'DBClusterNotFoundFault' ? 404 : 400;
  }
}
