import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from '@aegis/observability';

/** Options for `startMetricsServer`. */
export interface MetricsServerOptions {
  registry: Registry;
  /** TCP port; 0 picks a free one (read it back from `port`). */
  port: number;
  /**
   * Interface to listen on. Default `127.0.0.1`: nothing outside the host reaches the metrics unless the
   * deployment says so (containers pass `0.0.0.0` through METRICS_HOST, so Prometheus in another container can scrape).
   */
  host?: string | undefined;
  /**
   * When set, `/metrics` requires `Authorization: Bearer <token>` and answers 401 otherwise. `/healthz` never
   * needs it (container health checks). Default: no token (development).
   */
  token?: string | undefined;
  /** Called when rendering the metrics fails (the scrape gets a 500). */
  onError?: ((error: unknown) => void) | undefined;
}

/** A running metrics server. */
export interface MetricsServer {
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** The address actually bound, e.g. `127.0.0.1`. */
  readonly host: string;
  close(): Promise<void>;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** True when the request carries the token; compares digests in constant time. */
export function hasBearerToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (match === null) return false;
  return timingSafeEqual(digest(match[1] ?? ''), digest(token));
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(body);
}

/**
 * The Prometheus endpoint of processes without an HTTP API (workers, watcher): `GET /metrics` serves
 * `registry.metrics()`, `GET /healthz` answers `ok`. Plain node:http, no framework.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry, token } = options;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/healthz') return send(response, 404, 'not found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(response, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    if (path === '/healthz') return send(response, 200, 'ok\n');
    if (token !== undefined && token !== '' && !hasBearerToken(request.headers.authorization, token)) {
      return send(response, 401, 'METRICS_UNAUTHORIZED: send Authorization: Bearer <METRICS_TOKEN>\n', {
        'www-authenticate': 'Bearer realm="metrics"',
      });
    }
    const body = await registry.metrics();
    response.writeHead(200, { 'content-type': registry.contentType });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) send(response, 500, 'metrics collection failed\n');
      else response.destroy();
    });
  });
  // Scrapes are short requests; do not let an idle keep-alive connection hold shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    port,
    host: address,
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
