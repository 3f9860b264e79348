import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import pino from 'pino';
import { testConfig } from '@omo/tools/testing/config';
import { startGateway } from './server';

describe('the gateway process', () => {
  it('calls nobody outside the system when it starts and stops: no Apollo telemetry, no cloud metadata probes', async () => {
    const hosts: string[] = [];
    const record = (message: unknown) => void hosts.push(String((message as { request: ClientRequest }).request.host));
    subscribe('http.client.request.start', record);
    try {
      const gateway = await startGateway({ config: testConfig(), logger: pino({ level: 'silent' }), port: 0 });
      await gateway.close();
    } finally {
      unsubscribe('http.client.request.start', record);
    }
    expect(hosts).toEqual([]);
  });
});
