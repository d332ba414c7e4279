import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { type Command, Option } from 'commander';
import { indexManifest } from '../../shared/graph/plan.js';
import { loadProject } from '../../shared/project/load.js';
import { printJson } from '../output.js';
import { toDot } from '../render/dot.js';
import { curatedGraph } from '../render/graph.js';
import { toMermaid } from '../render/mermaid.js';
import { dotToSvg } from '../render/svg.js';

const FORMATS = ['mermaid', 'dot', 'svg'] as const;
type Format = (typeof FORMATS)[number];

interface GraphOptions {
  project: string;
  select?: string;
  group?: string;
  format?: Format;
  out?: string;
  json?: boolean;
}

/** What `--out` implies when no `--format` is given; `.md` gets Mermaid in a fenced block. */
const BY_EXTENSION: Record<string, Format | 'markdown'> = {
  '.svg': 'svg',
  '.dot': 'dot',
  '.gv': 'dot',
  '.mmd': 'mermaid',
  '.mermaid': 'mermaid',
  '.md': 'markdown',
  '.markdown': 'markdown',
};

/** zeo graph: the curated DAG as Mermaid, DOT or SVG (rendered by WebAssembly Graphviz, no browser). */
export function registerGraphCommand(program: Command): void {
  program
    .command('graph')
    .description('draw the curated DAG: landing-zone sources, models and their materialization')
    .option('-p, --project <dir>', 'curated project folder', './curated')
    .option(
      '-s, --select <selector>',
      'dbt-style selector: model, model+, +model, source:public.orders+, group:hourly (comma = union)',
    )
    .option('-g, --group <group>', 'only the models of this refresh group')
    .addOption(
      new Option('-f, --format <format>', 'output format (default: from the --out extension, else mermaid)')
        .choices(FORMATS)
        .conflicts('json'),
    )
    .option('-o, --out <file>', 'write to a file instead of stdout (.svg, .dot, .mmd or .md pick the format)')
    .option('--json', 'the graph as JSON: sources, models, edges')
    .addHelpText(
      'after',
      [
        '',
        'Sources are cylinders; box = table, double box = incremental, hexagon = materialized view;',
        'dashed arrows read the landing zone, solid arrows are ref() between models.',
        '',
        'Examples:',
        '  $ zeo graph -p examples/shop/curated',
        "  $ zeo graph -p examples/shop/curated --select 'source:public.orders+' --out orders.svg",
        '  $ zeo graph --format dot | dot -Tpng > dag.png',
      ].join('\n'),
    )
    .action(async (opts: GraphOptions) => {
      const graph = curatedGraph(indexManifest(loadProject(opts.project)), {
        ...(opts.select === undefined ? {} : { select: opts.select }),
        ...(opts.group === undefined ? {} : { group: opts.group }),
      });
      if (opts.json && !opts.out) return printJson(graph);
      const format = opts.json
        ? 'json'
        : (opts.format ??
          (opts.out ? BY_EXTENSION[extname(opts.out).toLowerCase()] : undefined) ??
          'mermaid');
      let text: string;
      if (format === 'json') text = `${JSON.stringify(graph, null, 2)}\n`;
      else if (format === 'dot') text = toDot(graph);
      else if (format === 'svg') text = await dotToSvg(toDot(graph));
      else if (format === 'markdown') text = `\`\`\`mermaid\n${toMermaid(graph)}\`\`\`\n`;
      else text = toMermaid(graph);
      if (!opts.out) {
        process.stdout.write(text);
        return;
      }
      mkdirSync(dirname(opts.out), { recursive: true });
      writeFileSync(opts.out, text);
      console.error(
        `wrote ${opts.out} (${format}, ${graph.models.length} models, ${graph.sources.length} sources, ${Buffer.byteLength(text)} bytes)`,
      );
    });
}
