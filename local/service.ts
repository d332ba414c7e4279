import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { packagePath } from '../shared/runtime/package-root.js';

/**
 * serverless.yml, read as the one registry of the service: which Lambda functions exist (and the
 * module of each handler) and which state machines (their logical ids, console names and ASL files).
 * The local stack derives its handler table and machine list from here, so adding a step or a machine
 * is done in serverless.yml (plus the step's own files and the ASL), never in a second list.
 */

export interface ServiceFunction {
  /** The serverless.yml function key (`planRefresh`), as the ASL's `<Key>LambdaFunction` names it. */
  key: string;
  /** The handler module, relative to the package root, without extension (`functions/plan-refresh/handler`). */
  module: string;
  /** The exported handler's name (`handler`). */
  exportName: string;
}

export interface ServiceStateMachine {
  /** The serverless.yml key (`curatedRefresh`). */
  key: string;
  /** The CloudFormation logical id (`CuratedRefreshStateMachine`). */
  id: string;
  /** The name after `<service>-<stage>-` (`curated-refresh`): what the CLI and the console call it. */
  name: string;
  /** The ASL file in statemachines/ (`curated-refresh.asl.json`). */
  file: string;
}

export interface ServerlessFile {
  service: string;
  params?: { default?: Record<string, string> };
  functions: Record<string, { handler?: string }>;
  stepFunctions: {
    stateMachines: Record<string, { id: string; name?: string; definition?: string; events?: unknown }>;
  };
}

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noTemplateCurlyInString: serverless.yml's own variables, literally (the Framework fills them in).
const NAME_PREFIX = '${self:service}-${sls:stage}-';
const DEFINITION = /^\$\{file\(\.\/scripts\/serverless-config\.cjs\):definitions\.(\w+)\}$/;

export function readServerlessFile(path = packagePath('serverless.yml')): ServerlessFile {
  return parse(readFileSync(path, 'utf8')) as ServerlessFile;
}

export function serviceFunctions(file: ServerlessFile = readServerlessFile()): ServiceFunction[] {
  return Object.entries(file.functions).map(([key, fn]) => {
    const handler = fn.handler ?? '';
    const dot = handler.lastIndexOf('.');
    if (dot <= 0)
      throw new Error(`serverless.yml functions.${key}.handler: "${handler}" is not <module>.<export>`);
    return { key, module: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
  });
}

export function serviceStateMachines(file: ServerlessFile = readServerlessFile()): ServiceStateMachine[] {
  const { MACHINE_FILES } = require('../scripts/serverless-config.cjs') as {
    MACHINE_FILES: Record<string, string>;
  };
  return Object.entries(file.stepFunctions.stateMachines).map(([key, machine]) => {
    const where = `serverless.yml stepFunctions.stateMachines.${key}`;
    if (!machine.name?.startsWith(NAME_PREFIX))
      throw new Error(`${where}.name: expected ${NAME_PREFIX}<name>`);
    const definitionKey = DEFINITION.exec(machine.definition ?? '')?.[1];
    const asl = definitionKey ? MACHINE_FILES[definitionKey] : undefined;
    if (!asl)
      throw new Error(
        `${where}.definition: expected \${file(./scripts/serverless-config.cjs):definitions.<key>} of a MACHINE_FILES key`,
      );
    return { key, id: machine.id, name: machine.name.slice(NAME_PREFIX.length), file: asl };
  });
}
