import '../local/polyfills.js';

// Every AWS SDK v3 client warns once about Node 20 support ending in 2027; the CI machines run Node 20.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  if (
    text.includes('NodeVersionSupportWarning') ||
    (typeof warning !== 'string' && warning.name === 'NodeVersionSupportWarning')
  )
    return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

// The handlers take the compiled project as an injected dependency (see shared/runtime/deployed-manifest.ts):
// tests run them on the shop example's golden manifest, which test/cli asserts equals a fresh compile.
process.env.ZEO_MANIFEST_PATH ||= new URL('fixtures/golden/shop-manifest.json', import.meta.url).pathname;

// The Data API steps run as the stack's warehouse role (shared/aws/redshift-data-client.ts); handler tests on mocked
// clients never reach STS, and the local stack sets its own role (applyLocalStackEnvironment).
process.env.ZEO_WAREHOUSE_ROLE_ARN ||= 'arn:aws:iam::123456789012:role/zeo-test-warehouse';
