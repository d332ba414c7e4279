import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { notifierFor } from '../../shared/runtime/wiring/notifier.js';
import type { StepWiring } from '../../shared/runtime/wiring/step-wiring.js';
import { NotifyEvent, notify } from './core.js';

/**
 * The step with its dependencies given: the deployed `handler` below passes the production wiring,
 * the local stack its own manifest and simulated clock.
 */
export const createHandler = (wiring: Pick<StepWiring, 'manifest' | 'notifier'>) =>
  taskHandler(NotifyEvent, (event) => notify(event, { notifier: wiring.notifier(wiring.manifest()) }));

export const handler = createHandler({ manifest: runtimeManifest, notifier: notifierFor });
