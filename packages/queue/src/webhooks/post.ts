import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPrivateAddress } from './url-guard.ts';

export interface PostResult {
  /** The HTTP status, or undefined when no response came (connection refused, timeout, refused address). */
  status: number | undefined;
  /** The start of the response body (non-2xx) or the network error's message. */
  detail: string | undefined;
  durationMs: number;
}

/** Resolves like `dns.lookup`, but fails for loopback/private addresses: checked on the address actually used. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as unknown as LookupAddress[];
    const refused = list.find((entry) => isPrivateAddress(entry.address));
    if (refused) {
      const denied = Object.assign(
        new Error(`refused: ${hostname} resolves to a private address (WEBHOOK_ALLOW_PRIVATE_URLS)`),
        { code: 'EACCES' },
      );
      return callback(denied, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    const first = list[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

/**
 * POSTs `body` once: no redirects followed (a redirect is a failure: it could lead anywhere), bounded by
 * `timeoutMs` for the whole exchange, and at most 2 KiB of the response read.
 */
export function postOnce(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const started = performance.now();
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number | undefined, detail: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, detail, durationMs: Math.round(performance.now() - started) });
    };
    const request = transport.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < 2048) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () =>
          finish(response.statusCode, Buffer.concat(chunks).toString('utf8').slice(0, 2048) || undefined),
        );
        response.on('error', (error) => finish(response.statusCode, error.message));
      },
    );
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    request.on('error', (error) => finish(undefined, error.message));
    request.end(body);
  });
}
