import { clearResults } from './results.js';

/** Runs once before the reliability suite: measurements of an earlier run never leak into the report. */
export default function setup(): void {
  clearResults();
}
