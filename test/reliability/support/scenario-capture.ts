import { appendFileSync } from 'node:fs';
import '../../../local/polyfills.js';
import { runScenario } from '../../../local/scenario.js';

/**
 * Runs the full local scenario (`npm start`) and writes every state input and output of every
 * execution, one JSON line each, to the file named by the first argument. Started as a child process
 * by secrets.reliability.ts with POWERTOOLS_LOG_LEVEL=INFO, which captures its stdout and stderr.
 */
const payloads = process.argv[2];
if (!payloads) throw new Error('usage: scenario-capture.ts <payloads.jsonl>');

const summary = await runScenario({
  step: (title) => console.log(`## ${title}`),
  info: (line) => console.log(line),
  ok: (line) => console.log(`ok ${line}`),
  onEvent: (record, event) => {
    if (event.state && (event.state.input !== undefined || event.state.output !== undefined)) {
      appendFileSync(
        payloads,
        `${JSON.stringify({ execution: record.name, state: event.state.name, input: event.state.input, output: event.state.output })}\n`,
      );
    }
  },
});
console.log(
  `scenario finished: ${summary.lambdaInvocations} Lambda invocations, ${summary.dataApiCalls} Data API statements`,
);
