import type { ConsoleOptions } from '@omo/gateway/src/console';
import type { IdeDefaults } from '@omo/gateway/src/ide';
import { createHmac } from 'node:crypto';
import type { mongo } from 'mongoose';
import { signUserToken } from '@omo/lib/core/bearer-tokens';
import type { AppConfig } from '@omo/lib/core/config';
import { connectDatabase, type Connection } from '@omo/lib/core/db';
import { createLogger, type Logger } from '@omo/lib/core/logger';
import { testConfig, testProcessEnv } from '@omo/tools/testing/config';
import { testMongodbUri, uniqueDbName } from '@omo/tools/testing/database';
import { membersModels } from '@omo/members/src/models';
import { ApiKeyService } from '@omo/members/src/services/api-key.service';
import { startSystem, type RunningSystem } from '../../scripts/system';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

export interface TestSystem extends RunningSystem {
  config: AppConfig;
  dbName: string;
  /** A direct connection to the test database, for seeding and for checking what was (not) written. */
  db: Connection;
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** The environment of a service or CLI spawned as its own process against this system's database and secrets. */
  processEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** A STAFF member's token; `adminHeaders()` an ADMIN's. */
  staffHeaders(): Record<string, string>;
  adminHeaders(): Record<string, string>;
  customerHeaders(memberId: string): Record<string, string>;
  posHeaders(storeIds: string[]): Promise<Record<string, string>>;
}

/**
 * The whole system (four subgraphs + gateway) on free ports against a fresh database; callers use real HTTP.
 * `overrides` are configuration variables, e.g. a lower MAX_QUERY_DEPTH than the schema's deepest path.
 */
export async function startTestSystem(
  overrides: Record<string, string | undefined> = {},
  logger?: Logger,
  options: { runBackground?: boolean; clock?: () => Date; monitorCommands?: boolean; ide?: Partial<IdeDefaults>; console?: ConsoleOptions } = {},
): Promise<TestSystem> {
  const dbName = uniqueDbName('e2e');
  const config = testConfig({ ...overrides, MONGODB_DB: dbName });
  const mongodbUri = testMongodbUri();
  const system = await startSystem({ config, mongodbUri, logger: logger ?? createLogger(config.LOG_LEVEL), ...options });
  const db = await connectDatabase(mongodbUri, dbName);
  const apiKeys = new ApiKeyService(membersModels(db));
  return {
    ...system,
    config,
    dbName,
    db,
    async graphql(query, variables, headers = {}) {
      const response = await fetch(system.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, 'status' | 'headers'>;
      return { status: response.status, headers: response.headers, ...body } as GraphQLResponse<never>;
    },
    processEnv: (extra = {}) => testProcessEnv(config, dbName, extra),
    staffHeaders: () => ({ authorization: `Bearer ${signUserToken({ sub: 'staff-1', role: 'STAFF' }, config)}` }),
    adminHeaders: () => ({ authorization: `Bearer ${signUserToken({ sub: 'admin-1', role: 'ADMIN' }, config)}` }),
    customerHeaders: (memberId) => ({ authorization: `Bearer ${signUserToken({ sub: memberId, role: 'CUSTOMER' }, config)}` }),
    posHeaders: async (storeIds) => ({ 'x-api-key': (await apiKeys.create({ name: 'test-pos', storeIds })).key }),
    close: async () => {
      await system.close();
      await db.dropDatabase().catch(() => undefined);
      await db.close();
    },
  };
}

/** The response's data, after asserting it carries no errors. */
export function ok<T>(response: GraphQLResponse<T>): T {
  expect(response.errors).toBeUndefined();
  return response.data!;
}

/** Creates a store as ADMIN through the gateway (by default S001, a PHYSICAL one) and returns its id. */
export async function createStore(system: TestSystem, input: Record<string, unknown> = { code: 'S001', name: '新宿店', kind: 'PHYSICAL' }): Promise<string> {
  const store = await system.graphql<{ createStore: { id: string } }>(
    'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
    { input },
    system.adminHeaders(),
  );
  return ok(store).createStore.id;
}

/**
 * Runs `act` and counts the database commands each subgraph sent meanwhile, per service and command (the system
 * started with `monitorCommands`).
 */
export async function countCommands<T>(system: TestSystem, act: () => Promise<T>): Promise<{ seen: Record<string, Record<string, number>>; result: T }> {
  const seen: Record<string, Record<string, number>> = {};
  const listeners = Object.entries(system.subgraphs).map(([name, subgraph]) => {
    const listener = (event: mongo.CommandStartedEvent) => {
      const perService = (seen[name] ??= {});
      perService[event.commandName] = (perService[event.commandName] ?? 0) + 1;
    };
    subgraph.connection.getClient().on('commandStarted', listener);
    return () => subgraph.connection.getClient().off('commandStarted', listener);
  });
  try {
    return { seen, result: await act() };
  } finally {
    listeners.forEach((off) => off());
  }
}

/** Records a one-line purchase of a ¥`yen` item as staff, and returns its status. */
export async function recordOneLinePurchase(
  system: TestSystem,
  input: { idempotencyKey: string; storeId: string; memberId: string; yen: number; occurredAt: Date },
): Promise<string> {
  const { idempotencyKey, storeId, memberId, yen, occurredAt } = input;
  const data = ok(
    await system.graphql<{ recordPurchase: { status: string } }>(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { status } }',
      {
        input: {
          idempotencyKey,
          storeId,
          memberId,
          lines: [{ sku: 'SKU-1', name: '商品', unitPrice: yen, quantity: 1 }],
          total: yen,
          occurredAt: occurredAt.toISOString(),
        },
      },
      system.staffHeaders(),
    ),
  );
  return data.recordPurchase.status;
}

/**
 * One LINE webhook event posted to the line service as LINE sends it (signed with the channel secret over the exact
 * bytes), then the line service's queue processed.
 */
export async function deliverLineEvent(system: TestSystem, event: Record<string, unknown>): Promise<void> {
  const raw = Buffer.from(JSON.stringify({ destination: 'Uf0e1d2c3b4a5968778695a4b3c2d1e0f', events: [event] }));
  const signature = createHmac('sha256', system.config.LINE_CHANNEL_SECRET).update(raw).digest('base64');
  const response = await fetch(`${system.subgraphs.line.url}/line/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-line-signature': signature },
    body: raw,
  });
  expect(response.status).toBe(200);
  await system.subgraphs.line.built.outbox.drain();
}
