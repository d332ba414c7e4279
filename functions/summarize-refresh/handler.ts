import { runtimeManifest } from '../../shared/runtime/deployed-manifest.js';
import { taskHandler } from '../../shared/runtime/task-handler.js';
import { notifierFor } from '../../shared/runtime/wiring/notifier.js';
import { warehouseFor } from '../../shared/runtime/wiring/warehouse.js';
import { SummarizeRefreshEvent, summarizeRefresh } from './core.js';

export const handler = taskHandler(SummarizeRefreshEvent, (event) => {
  const index = runtimeManifest();
  return summarizeRefresh(event, { index, warehouse: warehouseFor(index), notifier: notifierFor(index) });
});
