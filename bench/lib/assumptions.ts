/**
 * Everything the simulations assume about AWS, in one place, so the report can print it. Latencies are
 * typical warm-path round trips (not measured here: there is no AWS account on this machine); the
 * ratios the report headlines are insensitive to them because SQL durations are seconds to minutes.
 */
export const LATENCY_MS = {
  /** Step Functions entering a Task state and invoking a warm Lambda through lambda:invoke. */
  lambdaInvoke: 35,
  /** Handler CPU time of a warm step (zod parse, SQL generation, JSON). */
  lambdaCompute: 5,
  /** A Data API request/response (BatchExecuteStatement / ExecuteStatement submit). */
  dataApiSubmit: 120,
  /** DescribeStatement. */
  dataApiDescribe: 60,
  /** ListStatements (one page of ≤ 100 statements, filtered by name prefix and status). */
  dataApiList: 100,
  /** GetStatementResult. */
  dataApiResult: 80,
  /** A short bookkeeping statement (run log insert, table-state query) running in the warehouse. */
  bookkeepingStatement: 400,
  /** A Task that calls an AWS SDK integration directly (the baseline's ExecuteStatement/Describe). */
  sdkIntegrationTask: 35,
  /** StartExecution of a child (startExecution.sync:2). */
  childStart: 150,
  /** Until the parent's .sync task notices that its child finished. */
  childCompletionNotice: 1000,
  /** EventBridge: an event put on the bus until the target StartExecution happens. */
  eventBridgeDelivery: 500,
  /** Step Functions overhead per state transition not modeled above (Choice, Wait entry, Succeed, Map). */
  stateTransition: 20,
} as const;

/**
 * Public list prices, us-east-1, as known (2025; check https://aws.amazon.com/step-functions/pricing/
 * and https://aws.amazon.com/lambda/pricing/ before relying on them).
 */
export const PRICES = {
  asOf: '2025 (public list prices, us-east-1, as known)',
  stepFunctionsStandardPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaPerGbSecondX86: 0.0000166667,
  lambdaPerGbSecondArm64: 0.0000133334,
  /** Data API calls are not billed; the warehouse compute they run is (not counted here). */
  dataApiPerCall: 0,
} as const;

/** serverless.yml: provider.memorySize. */
export const LAMBDA_MEMORY_MB = 256;
