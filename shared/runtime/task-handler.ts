import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { logger } from './logger.js';
import { parseInput } from './parse-input.js';

/**
 * The one middy stack of every Step Functions task: Lambda context in the logs, the input validated
 * against the step's schema (a drift between the ASL Parameters and the code fails loudly), and the
 * correlation keys (run, model, execution) appended to every log line.
 */
export function taskHandler<S extends z.ZodType, R>(
  schema: S,
  run: (input: z.infer<S>) => Promise<R>,
): middy.MiddyfiedHandler<unknown, R, Error, Context> {
  return middy<unknown, R, Error, Context>()
    .use(injectLambdaContext(logger, { clearState: true }))
    .handler(async (event) => {
      const input = parseInput(schema, event);
      if (typeof input === 'object' && input !== null) {
        const keys = input as Record<string, unknown>;
        logger.appendKeys({
          ...(typeof keys.runId === 'string' ? { runId: keys.runId } : {}),
          ...(typeof keys.model === 'string' ? { model: keys.model } : {}),
        });
      }
      try {
        return await run(input);
      } catch (error) {
        logger.error('step failed', { error });
        throw error;
      }
    });
}
