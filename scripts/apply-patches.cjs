// Applies patches/ (fixes that make aws-local-stepfunctions behave as AWS Step Functions does) to the
// copy npm installed, wherever that is: this repository's node_modules, or — when zeo is installed as
// a tool into another project — that project's (npm hoists dependencies there). patch-package alone
// only looks in the current folder's node_modules, which an installed package does not have.
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const packageDir = path.resolve(__dirname, '..');

/** The folder whose node_modules holds `name`, searching up from this package as Node resolves. */
function installRootOf(name) {
  for (let dir = packageDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'node_modules', name, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const root = installRootOf('aws-local-stepfunctions');
const tool = installRootOf('patch-package');
if (root === undefined || tool === undefined) {
  console.error('apply-patches: aws-local-stepfunctions or patch-package is not installed; nothing patched');
  process.exit(1);
}
execFileSync(
  process.execPath,
  [
    path.join(tool, 'node_modules', 'patch-package', 'index.js'),
    '--patch-dir',
    path.relative(root, path.join(packageDir, 'patches')),
    '--error-on-fail',
  ],
  { cwd: root, stdio: 'inherit' },
);
