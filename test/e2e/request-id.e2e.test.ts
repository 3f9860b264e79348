import { Writable } from 'node:stream';
import pino from 'pino';
import { startTestSystem, type TestSystem } from '../helpers/system';

interface LogLine {
  service?: string;
  requestId?: string;
  msg?: string;
  operation?: string;
}

const lines: LogLine[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
    done();
  },
});

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({}, pino({ level: 'debug' }, sink));
});
afterAll(() => system.close());

describe('request ids', () => {
  it('carries the caller’s request id from the gateway to every subgraph the query touches, and back', async () => {
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'pos-42.req-7', ...system.staffHeaders() },
      body: JSON.stringify({ query: 'query Stores { stores { id } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('pos-42.req-7');

    const tagged = lines.filter((l) => l.requestId === 'pos-42.req-7' && l.msg === 'graphql request');
    expect(tagged.map((l) => l.service).sort()).toEqual(['gateway', 'purchases']);
  });

  it('replaces a request id that is not a safe token with a fresh one', async () => {
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bad id\twith spaces' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
