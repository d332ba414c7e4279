import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../shared/runtime/package-root.js';
import { serviceStateMachines } from '../service.js';

/** A state (or nested Map state) of an ASL definition, as far as the local runner needs to know. */
export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Retry?: unknown[];
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  Branches?: AslDefinition[];
  [key: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

const MACHINES = serviceStateMachines();

/** The state machines of serverless.yml: logical id → ASL file. */
export const STATE_MACHINE_FILES: Record<string, string> = Object.fromEntries(
  MACHINES.map((m) => [m.id, m.file]),
);

/** The CLI/console names of the state machines (`curated-refresh`) → logical id. */
export const STATE_MACHINE_NAMES: Record<string, string> = Object.fromEntries(
  MACHINES.map((m) => [m.name, m.id]),
);

/** Logical id → CLI/console name (`CuratedRefreshStateMachine` → `curated-refresh`). */
export const MACHINE_NAME_OF_ID: Record<string, string> = Object.fromEntries(
  MACHINES.map((m) => [m.id, m.name]),
);

export function loadDefinitions(dir = packagePath('statemachines')): Record<string, AslDefinition> {
  return Object.fromEntries(
    Object.entries(STATE_MACHINE_FILES).map(([id, file]) => [
      id,
      JSON.parse(readFileSync(join(dir, file), 'utf8')) as AslDefinition,
    ]),
  );
}

/** Every state of a definition, nested Map/Parallel states included, with its name. */
export function* allStates(definition: AslDefinition): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(definition.States)) {
    yield [name, state];
    for (const nested of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) {
      if (nested) yield* allStates(nested);
    }
  }
}

/** `PlanRefreshLambdaFunction` → `planRefresh` (the serverless.yml function key). */
export function functionKeyOf(state: AslState): string | undefined {
  const name = state.Parameters?.FunctionName as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const logicalId = name?.['Fn::GetAtt']?.[0];
  if (!logicalId?.endsWith('LambdaFunction')) return undefined;
  const base = logicalId.slice(0, -'LambdaFunction'.length);
  return base.charAt(0).toLowerCase() + base.slice(1);
}

/** The state machine a startExecution task starts (`{ "Ref": "<logical id>" }`). */
/**
 * The machine a startExecution task starts: a `Ref` to one of this service's machines, or — with
 * `StateMachineArn.$: $$.StateMachine.Id` — the running machine itself (`self`: a continuation).
 */
export function childMachineOf(state: AslState, self?: string): string | undefined {
  if (state.Parameters?.['StateMachineArn.$'] === '$$.StateMachine.Id') return self;
  const arn = state.Parameters?.StateMachineArn as { Ref?: string } | undefined;
  return arn?.Ref;
}

/**
 * The loop of a machine with one Wait state (curated-refresh's dispatcher tick): the state names from
 * the Wait, following each Next (or a Choice's Default), until the path returns to one already seen.
 */
export function waitLoop(definition: AslDefinition): string[] {
  const states = new Map(allStates(definition));
  const wait = [...states].find(([, s]) => s.Type === 'Wait');
  const cycle: string[] = [];
  for (let name = wait?.[0]; name !== undefined && !cycle.includes(name); ) {
    cycle.push(name);
    const state = states.get(name);
    name =
      typeof state?.Next === 'string'
        ? state.Next
        : typeof state?.Default === 'string'
          ? state.Default
          : undefined;
  }
  return cycle;
}
