import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running local endpoint. */
export interface LocalEndpoint {
  /** `http://127.0.0.1:<port>`, for an SDK client's `endpoint` or an `AWS_ENDPOINT_URL_*` variable. */
  endpoint: string;
  close(): Promise<void>;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

/** Largest request body accepted; the Data API's own limits are far below it. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Serves `handle` on 127.0.0.1 with an ephemeral port. Only loopback: these endpoints accept any
 * credentials, so they must never be reachable from elsewhere.
 */
export async function serveLocal(
  handle: (request: {
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: string;
  }) => Promise<HttpReply>,
): Promise<LocalEndpoint> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      let reply: HttpReply;
      try {
        const body = await readBody(req);
        reply = await handle({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body,
        });
      } catch (error) {
        reply = {
          status: 500,
          contentType: 'text/plain',
          body: error instanceof Error ? error.message : String(error),
        };
      }
      res.writeHead(reply.status, {
        'content-type': reply.contentType,
        'content-length': Buffer.byteLength(reply.body),
        'x-amzn-requestid': randomUUID(),
      });
      res.end(reply.body);
    })();
  });
  // SDK clients keep connections alive; close() must not wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
