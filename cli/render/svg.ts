/**
 * DOT → SVG without a browser or a system Graphviz: the WebAssembly build of Graphviz in
 * `@viz-js/viz`. Loaded on demand, because instantiating the WebAssembly module costs ~50 ms that
 * the other formats should not pay.
 */
export async function dotToSvg(dot: string): Promise<string> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  const svg = viz.renderString(dot, { format: 'svg', engine: 'dot' });
  return svg.endsWith('\n') ? svg : `${svg}\n`;
}
