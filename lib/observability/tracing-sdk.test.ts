import { testConfig, testProcessEnv } from '@omo/tools/testing/config';
import { fetchOrigin, ownOrigins, requestOrigin } from './tracing-sdk';

/** Which outgoing calls carry our trace headers and get a span: those to our own services, no others. */
describe('our own services, to which alone trace context is sent', () => {
  const env = { ...testProcessEnv(testConfig(), 'unused'), MEMBERS_URL: 'http://members.internal/graphql', POINTS_URL: 'https://points.internal:8443/graphql' };
  const ours = ownOrigins(env);

  it('are the origins of MEMBERS_URL and the other subgraph URLs, however a request spells them', () => {
    expect(ours.has(requestOrigin({ hostname: 'members.internal' }))).toBe(true);
    expect(ours.has(requestOrigin({ host: 'members.internal:80', port: 80 }))).toBe(true);
    expect(ours.has(fetchOrigin('https://points.internal:8443'))).toBe(true);
    // the defaults of the two not set here
    expect(ours.has(fetchOrigin('http://127.0.0.1:4003'))).toBe(true);
  });

  it('leave out third parties and other ports of our hosts', () => {
    expect(ours.has(fetchOrigin('https://api.line.me'))).toBe(false);
    expect(ours.has(requestOrigin({ protocol: 'https:', hostname: 'login.shop.example.com' }))).toBe(false);
    expect(ours.has(fetchOrigin('https://points.internal'))).toBe(false);
    expect(ours.has(requestOrigin({ hostname: '127.0.0.1', port: 9 }))).toBe(false);
  });

  it('are none when the environment does not parse: nothing is sent rather than everything', () => {
    expect(ownOrigins({}).size).toBe(0);
  });
});
