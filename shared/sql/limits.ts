/**
 * The Data API's limit on one statement's text: "maximum query statement size is 100 KB"
 * ("Considerations when calling the Amazon Redshift Data API", Redshift management guide). The guide
 * does not say whether KB means 1,000 or 1,024 bytes: the smaller is the limit, here and in the local
 * Data API, which refuses a longer statement as AWS would.
 */
export const MAX_STATEMENT_BYTES = 100_000;

/**
 * What a statement the project splits itself (multi-row INSERTs of bookkeeping rows) is kept under:
 * well below the limit, so a statement that grows by a parameter or a longer literal than counted
 * never reaches it.
 */
export const SPLIT_STATEMENT_BYTES = 0.6 * MAX_STATEMENT_BYTES;

/**
 * Most SQL statements in one BatchExecuteStatement: its `Sqls` list holds 1 to 40 (the Data API's
 * service model, `SqlList` length). A build is one batch, so a model's build fits in it or fails
 * validation (shared/project/compile.ts); longer bookkeeping lists run as several transactions.
 */
export const MAX_BATCH_STATEMENTS = 40;
