import { readFileSync } from 'node:fs';
import { STATE_MACHINE_INPUTS } from '../shared/contracts/state-machine-inputs.js';
import { InvalidInputError, SelectorError } from '../shared/errors.js';
import { type IndexedManifest, selectForRequest } from '../shared/graph/plan.js';
import { parseInput } from '../shared/runtime/parse-input.js';

export function readInput(text: string | undefined): unknown {
  if (text === undefined) return {};
  const source = text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new InvalidInputError([
      {
        file: text.startsWith('@') ? text.slice(1) : 'input',
        message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      },
    ]);
  }
}

/** Validates a console input for a state machine; throws InvalidInputError naming the field. */
export function validateInput(stateMachine: string, input: unknown): unknown {
  const schema = STATE_MACHINE_INPUTS[stateMachine];
  if (!schema) {
    throw new InvalidInputError([
      {
        file: 'input',
        field: 'state machine',
        message: `unknown state machine '${stateMachine}' (${Object.keys(STATE_MACHINE_INPUTS).join(', ')})`,
      },
    ]);
  }
  parseInput(schema, input);
  return input;
}

/** What only the project can tell: that selectors, groups and tables name things it has. */
export function validateAgainstProject(stateMachine: string, input: unknown, index: IndexedManifest): void {
  const record = (input ?? {}) as { select?: string; group?: string; tables?: string[] };
  if (stateMachine === 'curated-refresh') {
    try {
      selectForRequest(index, {
        ...(record.select ? { select: record.select } : {}),
        ...(record.group ? { group: record.group } : {}),
      });
    } catch (error) {
      if (error instanceof SelectorError) {
        throw new InvalidInputError([
          {
            file: 'input',
            field: record.group && !record.select ? 'group' : 'select',
            message: error.message,
          },
        ]);
      }
      throw error;
    }
  }
  if (stateMachine === 'resync-recovery') {
    const known = new Set(
      Object.entries(index.manifest.project.landing.tables).flatMap(([s, ts]) => ts.map((t) => `${s}.${t}`)),
    );
    const unknown = (record.tables ?? []).flatMap((t, i) => (known.has(t) ? [] : [{ t, i }]));
    if (unknown.length > 0) {
      throw new InvalidInputError(
        unknown.map(({ t, i }) => ({
          file: 'input',
          field: `tables[${i}]`,
          message: `'${t}' is not a landing table of this project`,
        })),
      );
    }
  }
}
