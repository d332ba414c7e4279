import { Logger } from '@aws-lambda-powertools/logger';

/** The one structured logger of every Lambda step (JSON to stdout, keys appended per invocation). */
export const logger = new Logger({ serviceName: 'zero-etl-orchestrator' });
