import { runAsIdentity } from '../shared/aws/identity.js';
import { type DoctorCheck, runDoctor } from '../shared/doctor/checks.js';
import { indexManifest } from '../shared/graph/plan.js';
import { integrationsFor } from '../shared/runtime/wiring/integrations.js';
import { warehouseFor } from '../shared/runtime/wiring/warehouse.js';
import type { LocalOrchestrator } from './app.js';
import { OPERATOR_ACCESS_KEY } from './stack.js';

/**
 * `zeo doctor --local`: the same checks as on AWS, against the local stack, with the Data API reached
 * as the steps reach it (the operator key assumes the warehouse role through the local STS).
 */
export async function localDoctor(app: LocalOrchestrator): Promise<DoctorCheck[]> {
  const index = indexManifest(app.manifest);
  const identity = {
    key: 'zeo-doctor',
    credentials: { accessKeyId: OPERATOR_ACCESS_KEY, secretAccessKey: OPERATOR_ACCESS_KEY },
  };
  return runAsIdentity(identity, () =>
    runDoctor({ manifest: app.manifest, warehouse: warehouseFor(index), integrations: integrationsFor() }),
  );
}
