import { signUserToken } from '@omo/lib/auth';
import type { AppConfig } from '@omo/lib/config';
import { connectDatabase, type Connection } from '@omo/lib/db';
import { createLogger, type Logger } from '@omo/lib/logger';
import { testConfig } from '@omo/lib/testing/config';
import { testMongodbUri, uniqueDbName } from '@omo/lib/testing/database';
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
  overrides: Record<string, string> = {},
  logger?: Logger,
  options: { runBackground?: boolean; clock?: () => Date; monitorCommands?: boolean } = {},
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
    staffHeaders: () => ({ authorization: `Bearer ${signUserToken({ sub: 'staff-1', role: 'STAFF' }, config.JWT_SECRET)}` }),
    adminHeaders: () => ({ authorization: `Bearer ${signUserToken({ sub: 'admin-1', role: 'ADMIN' }, config.JWT_SECRET)}` }),
    customerHeaders: (memberId) => ({
      authorization: `Bearer ${signUserToken({ sub: memberId, role: 'CUSTOMER' }, config.JWT_SECRET)}`,
    }),
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
