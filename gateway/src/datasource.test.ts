import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import { Headers } from 'node-fetch';
import { IdentityForwardingDataSource, keepAliveFetch } from './datasource';

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
      await expect(keepAliveFetch(url, 5_000)(url, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a subgraph that does not answer', () => {
  it('answers SERVICE_UNAVAILABLE at each field asked of it once SUBGRAPH_TIMEOUT_MS has passed, instead of waiting for ever', async () => {
    const held: IncomingMessage[] = [];
    // accepts the request and never answers, as a subgraph stuck on a lock or a dead database would
    const server = createHttpServer((request) => void held.push(request));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      const source = new IdentityForwardingDataSource(url, 'gateway-secret', 200);
      const answer = await source.process({
        kind: GraphQLDataSourceRequestKind.HEALTH_CHECK,
        request: { query: '{ member(id: "m1") { displayName } stores { id } }', http: { method: 'POST', url, headers: new Headers() } },
        context: {},
      });
      const unavailable = (path: string) => ({ message: 'A service needed to answer part of this query is unavailable; try again shortly', path: [path], extensions: { code: 'SERVICE_UNAVAILABLE' } });
      expect(answer).toEqual({ errors: [unavailable('member'), unavailable('stores')] });
      expect(held).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
