import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUBGRAPH_NAMES, REPO_ROOT, parseConfig, type SubgraphName } from '@omo/lib/core/config';
import type { RunningHttpServer } from '@omo/lib/server/http';
import { signWithDevIssuer, startDevIssuer, trustingDevIssuer } from '../../scripts/dev-issuer';
import { freePort } from '@omo/tools/dev-db/ferretdb';
import { SUPERGRAPH_PATH } from '@omo/gateway/src/supergraph';
import { SERVICE_NODE_FLAGS, spawnService, type ServiceProcess } from './services';

/** Secrets and keys made for this run, the token issuer every process trusts, and the database they all use. */
export interface BenchSettings {
  mongodbUri: string;
  gatewaySecret: string;
  internalSecret: string;
  posSigningKey: string;
  customerJwksUrl: string;
  staffJwksUrl: string;
  staffToken: string;
  /** The development issuer serving the two JWKS (stopped with the run). */
  issuer: RunningHttpServer;
}

export async function benchSettings(mongodbUri: string): Promise<BenchSettings> {
  const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'omo-bench-issuer-')), 'keys.json');
  const issuer = await startDevIssuer(0, keyFile);
  const secret = () => randomBytes(32).toString('hex');
  const config = trustingDevIssuer(
    parseConfig({ GATEWAY_SECRET: secret(), INTERNAL_SECRET: secret(), CUSTOMER_JWT_SECRET: secret(), STAFF_JWT_SECRET: secret(), LINE_CHANNEL_SECRET: 'x', LINE_CHANNEL_ACCESS_TOKEN: 'x' }),
    issuer.port,
  );
  const posKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    mongodbUri,
    gatewaySecret: config.GATEWAY_SECRET,
    internalSecret: config.INTERNAL_SECRET,
    posSigningKey: JSON.stringify({ ...posKey, kid: 'bench-pos' }),
    customerJwksUrl: config.CUSTOMER_JWKS_URL!,
    staffJwksUrl: config.STAFF_JWKS_URL!,
    staffToken: signWithDevIssuer({ sub: 'bench-staff', role: 'STAFF' }, config, keyFile)!,
    issuer,
  };
}

export function staffToken(settings: BenchSettings): string {
  return settings.staffToken;
}

/** The environment of every service process: production mode, warnings only in the logs, LINE pointed nowhere. */
export function serviceEnv(settings: BenchSettings, dbName: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    MONGODB_URI: settings.mongodbUri,
    MONGODB_DB: dbName,
    GATEWAY_SECRET: settings.gatewaySecret,
    INTERNAL_SECRET: settings.internalSecret,
    CUSTOMER_JWKS_URL: settings.customerJwksUrl,
    STAFF_JWKS_URL: settings.staffJwksUrl,
    POS_TOKEN_SIGNING_KEY: settings.posSigningKey,
    // production requires one; the bench does not read /metrics
    METRICS_TOKEN: 'bench-metrics-token-never-scraped',
    // the bench measures throughput, not the limits
    RATE_LIMIT_STAFF_PER_MINUTE: '100000000',
    RATE_LIMIT_POS_PER_MINUTE: '100000000',
    // scenario 4's liability report reads every account through the gateway, longer than a request's usual bound
    SUBGRAPH_TIMEOUT_MS: '600000',
    LINE_CHANNEL_SECRET: 'bench-line-channel-secret',
    LINE_CHANNEL_ACCESS_TOKEN: 'bench-line-access-token',
    LINE_API_BASE_URL: 'http://127.0.0.1:9',
    LINE_ACCOUNT_LINK_URL: 'http://127.0.0.1:9/dialog/bot/accountLink',
    LINE_PUBLIC_BASE_URL: 'https://line.bench.invalid',
    ...extra,
  };
}

export const graphqlUrl = (service: ServiceProcess): string => `${service.baseUrl}/graphql`;

/** The four subgraphs and our gateway, each its own process, on one database. */
export interface BenchSystem {
  gateway: ServiceProcess;
  subgraphs: Record<SubgraphName, ServiceProcess>;
  /** MEMBERS_URL and the others, for another gateway over the same subgraphs. */
  subgraphUrls: Record<string, string>;
  stop(): Promise<void>;
}

async function stopAll(services: ServiceProcess[]): Promise<void> {
  await Promise.all(services.map((s) => s.stop()));
}

export async function startSystem(settings: BenchSettings, dbName: string): Promise<BenchSystem> {
  const ports = { gateway: await freePort() } as Record<SubgraphName | 'gateway', number>;
  for (const name of SUBGRAPH_NAMES) ports[name] = await freePort();
  const urls: Record<string, string> = {};
  const portVars: Record<string, string> = { GATEWAY_PORT: String(ports.gateway) };
  for (const name of SUBGRAPH_NAMES) {
    urls[`${name.toUpperCase()}_URL`] = `http://127.0.0.1:${ports[name]}/graphql`;
    portVars[`${name.toUpperCase()}_PORT`] = String(ports[name]);
  }
  const env = serviceEnv(settings, dbName, { ...urls, ...portVars });
  const started = await Promise.allSettled([
    ...SUBGRAPH_NAMES.map((name) =>
      spawnService({ name, args: ['bench/service-process.ts', name], env, baseUrl: `http://127.0.0.1:${ports[name]}`, healthPath: '/health', countsCommands: true, nodeFlags: SERVICE_NODE_FLAGS }),
    ),
    spawnService({ name: 'gateway', args: ['gateway/src/index.ts'], env, baseUrl: `http://127.0.0.1:${ports.gateway}`, healthPath: '/health', countsCommands: false, nodeFlags: SERVICE_NODE_FLAGS }),
  ]);
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stopAll(running);
    throw failed.reason;
  }
  const byName = new Map(running.map((s) => [s.name, s]));
  const subgraphs = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, byName.get(name)])) as Record<SubgraphName, ServiceProcess>;
  const gateway = byName.get('gateway') as ServiceProcess;
  return { gateway, subgraphs, subgraphUrls: urls, stop: () => stopAll(running) };
}

/** The monolith (bench/monolith.ts) as its own process on the same database. */
export async function startMonolithProcess(settings: BenchSettings, dbName: string): Promise<ServiceProcess> {
  const port = await freePort();
  return spawnService({
    name: 'monolith',
    args: ['bench/service-process.ts', 'monolith'],
    env: serviceEnv(settings, dbName, { GATEWAY_PORT: String(port) }),
    baseUrl: `http://127.0.0.1:${port}`,
    healthPath: '/health',
    countsCommands: true,
    nodeFlags: SERVICE_NODE_FLAGS,
  });
}

const HIVE_BIN = path.join(REPO_ROOT, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js');

/** Hive Gateway, one worker, over the system's subgraphs, with bench/hive/gateway.config.ts. */
export async function startHiveGateway(settings: BenchSettings, system: BenchSystem): Promise<ServiceProcess> {
  const port = await freePort();
  return spawnService({
    name: 'hive-gateway',
    args: [HIVE_BIN, 'supergraph', SUPERGRAPH_PATH, '--config-path', 'bench/hive/gateway.config.ts', '--fork', '1', '--host', '127.0.0.1', '--port', String(port)],
    env: serviceEnv(settings, 'unused', system.subgraphUrls),
    baseUrl: `http://127.0.0.1:${port}`,
    healthPath: '/healthcheck',
    countsCommands: false,
  });
}
