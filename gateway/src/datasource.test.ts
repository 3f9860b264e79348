import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { keepAliveFetch } from './datasource';

const TLS = path.join(__dirname, '../../test/fixtures/tls');

describe('the subgraph fetcher', () => {
  it('fetches an https subgraph over TLS (its keep-alive agent is an https one)', async () => {
    const server = createServer({ key: readFileSync(path.join(TLS, 'localhost.key')), cert: readFileSync(path.join(TLS, 'localhost.crt')) });
    const handshakes: string[] = [];
    server.on('tlsClientError', (error: NodeJS.ErrnoException) => handshakes.push(error.code ?? error.message));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      // the fixture's certificate is self-signed, so the client refuses it: proof the request went out over TLS to
      // this server (an http agent throws ERR_INVALID_PROTOCOL before connecting)
      await expect(keepAliveFetch(url)(url, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
