import { join } from 'node:path';
import ts from 'typescript';

/**
 * Which AWS SDK commands each Lambda handler can send: a call graph built with the TypeScript checker,
 * from the handler's exported `handler` through every function, method and arrow function of the
 * project it calls or references (through interfaces and `Pick<>` types too, which the checker
 * resolves to the implementing class's methods), collecting every `new XxxCommand(…)` of an
 * `@aws-sdk/client-*` package it reaches. A method that is never called contributes nothing, so a
 * step that only describes statements is not credited with running them.
 */

export interface SdkCall {
  /** `redshift-data`, `rds`, `events`, `sns`, `states`, … (the IAM service prefix). */
  service: string;
  /** The operation, e.g. `BatchExecuteStatement`. */
  operation: string;
}

const IAM_PREFIX: Record<string, string> = {
  'client-redshift-data': 'redshift-data',
  'client-rds': 'rds',
  'client-eventbridge': 'events',
  'client-sns': 'sns',
  'client-sfn': 'states',
  'client-secrets-manager': 'secretsmanager',
};

export function sdkCallsByHandler(root: string, handlers: Record<string, string>): Map<string, SdkCall[]> {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram({
    rootNames: Object.values(handlers).map((h) => join(root, h)),
    options: { ...parsed.options, noEmit: true },
  });
  const checker = program.getTypeChecker();
  const inProject = (file: ts.SourceFile) =>
    !file.fileName.includes('/node_modules/') && file.fileName.startsWith(root);

  const resolve = (node: ts.Node): ts.Declaration[] => {
    let symbol = checker.getSymbolAtLocation(node);
    if (!symbol) return [];
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    return symbol.declarations ?? [];
  };

  /** The code a declaration stands for: a function body, or the function a variable or property holds. */
  const bodyOf = (declaration: ts.Declaration): ts.Node | undefined => {
    if (!inProject(declaration.getSourceFile())) return undefined;
    if (
      ts.isFunctionDeclaration(declaration) ||
      ts.isMethodDeclaration(declaration) ||
      ts.isConstructorDeclaration(declaration) ||
      ts.isGetAccessorDeclaration(declaration) ||
      ts.isArrowFunction(declaration) ||
      ts.isFunctionExpression(declaration)
    ) {
      return declaration;
    }
    if (
      (ts.isVariableDeclaration(declaration) ||
        ts.isPropertyAssignment(declaration) ||
        ts.isPropertyDeclaration(declaration)) &&
      declaration.initializer
    ) {
      return declaration.initializer;
    }
    if (ts.isShorthandPropertyAssignment(declaration)) return declaration;
    if (ts.isClassDeclaration(declaration)) {
      return declaration.members.find((m) => ts.isConstructorDeclaration(m)) ?? undefined;
    }
    return undefined;
  };

  const sdkCommand = (node: ts.NewExpression): SdkCall | undefined => {
    for (const declaration of resolve(node.expression)) {
      const file = declaration.getSourceFile().fileName;
      const match = /\/node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(file);
      const name = ts.isClassDeclaration(declaration) ? declaration.name?.text : undefined;
      const service = match?.[1] ? IAM_PREFIX[match[1]] : undefined;
      if (service && name?.endsWith('Command'))
        return { service, operation: name.slice(0, -'Command'.length) };
    }
    return undefined;
  };

  const result = new Map<string, SdkCall[]>();
  for (const [key, handlerPath] of Object.entries(handlers)) {
    const source = program.getSourceFile(join(root, handlerPath));
    if (!source) throw new Error(`cannot read ${handlerPath}`);
    const calls = new Map<string, SdkCall>();
    const seen = new Set<ts.Node>();
    const queue: ts.Node[] = [];
    source.forEachChild((statement) => {
      if (
        ts.isVariableStatement(statement) &&
        statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      ) {
        for (const d of statement.declarationList.declarations) if (d.initializer) queue.push(d.initializer);
      }
    });
    while (queue.length > 0) {
      const start = queue.pop();
      if (!start || seen.has(start)) continue;
      seen.add(start);
      const visit = (node: ts.Node) => {
        if (ts.isNewExpression(node)) {
          const call = sdkCommand(node);
          if (call) calls.set(`${call.service}:${call.operation}`, call);
        }
        if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) {
          const target = ts.isPropertyAccessExpression(node) ? node.name : node;
          for (const declaration of resolve(target)) {
            const body = bodyOf(declaration);
            if (body && !seen.has(body)) queue.push(body);
          }
        }
        node.forEachChild(visit);
      };
      visit(start);
    }
    result.set(
      key,
      [...calls.values()].sort((a, b) =>
        `${a.service}:${a.operation}`.localeCompare(`${b.service}:${b.operation}`),
      ),
    );
  }
  return result;
}
