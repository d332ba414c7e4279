import {
  formatIssue,
  InvalidInputError,
  ProjectValidationError,
  SelectorError,
  UnknownModelError,
} from '../shared/errors.js';

const useColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

export const style = {
  bold: (s: string) => (useColor() ? `\u001b[1m${s}\u001b[22m` : s),
  dim: (s: string) => (useColor() ? `\u001b[2m${s}\u001b[22m` : s),
  red: (s: string) => (useColor() ? `\u001b[31m${s}\u001b[39m` : s),
  green: (s: string) => (useColor() ? `\u001b[32m${s}\u001b[39m` : s),
};

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Exit codes: 1 = the project or the operation failed, 2 = the command was used wrongly. */
export function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof ProjectValidationError) {
    process.stderr.write(`${style.red('✗')} ${error.issues.length} problem(s) in the curated project:\n`);
    for (const issue of error.issues) process.stderr.write(`  ${formatIssue(issue)}\n`);
    return 1;
  }
  if (error instanceof InvalidInputError) {
    const where = (i: (typeof error.issues)[number]) =>
      i.field ? `${i.field}: ` : i.file !== 'input' ? `${i.file}: ` : '';
    process.stderr.write(
      `${style.red('error:')} invalid input: ${error.issues.map((i) => `${where(i)}${i.message}`).join('; ')}\n`,
    );
    const consoleInput = error.issues.every((i) => i.file === 'input' && !i.field?.startsWith('-'));
    process.stderr.write(
      `${style.dim(consoleInput ? "hint: nothing was started; see docs/operations.md for each state machine's input" : 'hint: nothing was started')}\n`,
    );
    return 2;
  }
  if (error instanceof SelectorError || error instanceof UnknownModelError) {
    process.stderr.write(`${style.red('error:')} ${error.message}\n`);
    process.stderr.write(
      `${style.dim("hint: run 'zeo plan' to list the models; selectors: model, model+, +model, source:schema.table+, group:name")}\n`,
    );
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${style.red('error:')} ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write(`${style.dim('hint: run again with --verbose for details')}\n`);
  return 1;
}
