import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

/**
 * POSTs `body` to `url`, connecting to `addresses` (those the dispatcher resolved and checked, every one; node tries
 * them in turn when one does not connect) whatever the name would resolve to now, so a DNS answer changed between the check and the connection (a rebind) cannot send the request
 * elsewhere. TLS still verifies the certificate against the URL's name. No redirect is followed, no socket reused
 * (a pooled one could be connected to an address of an earlier check). Resolves with the status once the head
 * arrives; the body is not read.
 */
export function postTo(
  url: URL,
  addresses: { address: string; family: number }[],
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup: pinned, agent: false, signal: AbortSignal.timeout(timeoutMs) },
      (response) => {
        resolve(response.statusCode ?? 0);
        response.on('error', () => undefined);
        response.destroy();
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
