import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AegisError } from '@aegis/core';

/** Loopback, private, link-local, carrier-grade NAT, unspecified, multicast and reserved ranges. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

/** True for an address a webhook must not reach unless the operator allows private targets. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return PRIVATE.check(mapped, 'ipv4');
  return PRIVATE.check(address, 'ipv6');
}

/**
 * Checks a webhook URL before it is stored: http(s), no credentials, and (unless `allowPrivate`) a host whose
 * every address is public. Delivery checks the address it connects to again (DNS may change meanwhile).
 * @throws AegisError `VALIDATION_FAILED`
 */
export async function assertWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AegisError('VALIDATION_FAILED', 'The webhook URL is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AegisError('VALIDATION_FAILED', 'A webhook URL must use http or https.');
  if (url.username !== '' || url.password !== '')
    throw new AegisError(
      'VALIDATION_FAILED',
      'A webhook URL must not carry credentials; the signature authenticates.',
    );
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses =
    isIP(host) !== 0
      ? [host]
      : await lookup(host, { all: true }).then(
          (found) => found.map((entry) => entry.address),
          () => {
            throw new AegisError('VALIDATION_FAILED', `The webhook host ${host} does not resolve.`);
          },
        );
  if (addresses.some(isPrivateAddress))
    throw new AegisError(
      'VALIDATION_FAILED',
      `The webhook host ${host} resolves to a loopback or private address; set WEBHOOK_ALLOW_PRIVATE_URLS=true to allow it.`,
      { details: { host } },
    );
  return url;
}
