#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx zeo` works straight after `npm install` with no build.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
