#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx zeo` works straight after `npm install` with no build.
import { register } from 'tsx/esm/api';

register();

// Every AWS SDK v3 client warns that Node 20 support ends in 2027; say it once in the README instead.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : `${warning?.name} ${warning?.message}`;
  if (text.includes('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};
await import('../cli/main.ts');
