import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { notifierFor } from '../../shared/runtime/deps.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { NotifyEvent, notify } from './core.js';

export const handler = taskHandler(NotifyEvent, (event) =>
  notify(event, { notifier: notifierFor(runtimeManifest()) }),
);
