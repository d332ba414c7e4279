import { notifierFor } from '../../shared/runtime/deps.js';
import { runtimeManifest } from '../../shared/runtime/manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { NotifyEvent, notify } from './core.js';

export const handler = taskHandler(NotifyEvent, (event) =>
  notify(event, { notifier: notifierFor(runtimeManifest()) }),
);
