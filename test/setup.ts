// aws-local-stepfunctions uses Promise.withResolvers (Node 22+); these machines run Node 20.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: <T>() => {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

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
