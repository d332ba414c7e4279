import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { notifierFor } from '../../shared/runtime/wiring/notifier.js';
import { NotifyEvent, notify } from './core.js';

export const handler = taskHandler(NotifyEvent, (event) =>
  notify(event, { notifier: notifierFor(runtimeManifest()) }),
);
