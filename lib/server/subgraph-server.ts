import { randomUUID } from 'node:crypto';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import {
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap';
import express, { type Router } from 'express';
import type { DocumentNode } from 'graphql';
import { AUTHORIZATION_HEADER, GATEWAY_CREDENTIAL_HEADER, REQUEST_ID_HEADER, checkGatewayCredential, type Caller } from '@omo/lib/core/auth';
import { VerifiedBearers, type BearerVerifier } from '@omo/lib/core/bearer-tokens';
import type { CurrentMemberLookup, CustomerStatus } from '@omo/lib/core/customer-status';
import { pingDatabase, type Connection } from '@omo/lib/core/db';
import { makeFormatError } from '@omo/lib/core/errors';
import type { AppConfig } from '@omo/lib/core/config';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Logger } from '@omo/lib/core/logger';
import { headerValue, jsonErrorHandler, listen, type RunningHttpServer } from '@omo/lib/server/http';
import type { ScrapeGauge, ServiceMetrics } from '@omo/lib/observability/metrics';
import { httpResponseMetrics, metricsEndpoint, requestMetricsPlugin } from '@omo/lib/observability/request-metrics';
import { outboxesOn } from '@omo/lib/outbox/outbox';

export interface BaseContext {
  caller: Caller;
  requestId: string;
  logger: Logger;
}

export interface SubgraphOptions {
  name: string;
  typeDefs: DocumentNode;
  /** The generated `Resolvers` object of the subgraph. */
  resolvers: object;
  logger: Logger;
  production: boolean;
}

/** The subgraph's ApolloServer without HTTP: tests run operations on it with `executeOperation`. */
export function buildSubgraphApollo<TContext extends BaseContext>(options: SubgraphOptions) {
  return new ApolloServer<TContext>({
    schema: buildSubgraphSchema({
      typeDefs: options.typeDefs,
      // codegen's Resolvers type is stricter than Apollo's map; the schema build checks the shape at start-up
      resolvers: options.resolvers as GraphQLResolverMap<unknown>,
    }),
    formatError: makeFormatError(options.logger),
    includeStacktraceInErrorResponses: false,
    introspection: !options.production,
    plugins: [
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      requestLoggingPlugin<TContext>('debug'),
    ],
  });
}

/** One log line per GraphQL request, on the request's child logger (so it carries the request id). */
export function requestLoggingPlugin<TContext extends BaseContext>(level: 'info' | 'debug'): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue, request }) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ errors }) {
          contextValue.logger[level](
            {
              operation: request.operationName,
              caller: contextValue.caller.kind,
              ms: Number(process.hrtime.bigint() - started) / 1e6,
              errors: errors?.length ?? 0,
            },
            'graphql request',
          );
        },
      };
    },
  };
}

export interface SubgraphBuildOptions {
  config: AppConfig;
  connection: Connection;
  logger: Logger;
  internalSecret: string;
  production: boolean;
  /** Where the other services are, for internal API calls. */
  services: ServiceDirectory;
  /** The time; tests inject a fixed or moving clock. */
  clock: () => Date;
}

/** A subgraph assembled on a connection but not listening: what tests and the HTTP runner both use. */
export interface BuiltSubgraph<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  createContext(base: BaseContext): TContext;
  /** Extra HTTP routes (webhooks, internal APIs) mounted before /graphql. */
  routes?: Router;
  /** Background work (outbox delivery, jobs) started with the HTTP server and stopped before it closes. */
  startBackground?(): { stop(): Promise<void> };
  /** Where a customer's membership is now; the members service answers from its own data, the others ask it. */
  currentMember?: CurrentMemberLookup;
  /** The service's own gauges on /metrics, read from its data at each scrape (its outboxes' are added for it). */
  gauges?: ScrapeGauge[];
}

export interface SubgraphHttpOptions<TContext extends BaseContext> {
  subgraph: BuiltSubgraph<TContext>;
  connection: Connection;
  gatewaySecret: string;
  verifier: BearerVerifier;
  customers: CustomerStatus;
  logger: Logger;
  port: number;
  host?: string;
  metrics: ServiceMetrics;
  metricsToken?: string;
  /** /ready fails while an outbox's first due item has been due longer than this; 0: outboxes are not looked at. */
  readyMaxOutboxAgeSeconds: number;
}

/**
 * Ready: the database answers and, with a limit, no outbox on it has an item due for longer than the limit (its
 * workers stopped or cannot keep up). The reason names the outbox and the item's wait.
 */
async function readiness(connection: Connection, maxOutboxAgeSeconds: number): Promise<{ ready: boolean; body: Record<string, unknown> }> {
  if (!(await pingDatabase(connection))) return { ready: false, body: { status: 'unavailable', db: 'down', reason: 'the database does not answer' } };
  if (maxOutboxAgeSeconds <= 0) return { ready: true, body: { status: 'ready', db: 'up' } };
  const backlogs = await Promise.all(outboxesOn(connection).map(async (outbox) => ({ name: outbox.name, ...(await outbox.backlog()) })));
  const late = backlogs.filter((backlog) => backlog.oldestDueSeconds > maxOutboxAgeSeconds);
  const outboxes = Object.fromEntries(backlogs.map((b) => [b.name, { pending: b.pending, oldestDueSeconds: Math.floor(b.oldestDueSeconds) }]));
  if (!late.length) return { ready: true, body: { status: 'ready', db: 'up', outboxes } };
  const reason = late.map((b) => `outbox ${b.name}: an item has been due for ${Math.floor(b.oldestDueSeconds)} s (limit ${maxOutboxAgeSeconds} s)`).join('; ');
  return { ready: false, body: { status: 'unavailable', db: 'up', outboxes, reason } };
}


/**
 * Serves a subgraph over HTTP: /health, /ready, /metrics, /graphql. Every GraphQL request must carry the gateway credential
 * (HTTP 401 otherwise), so a subgraph cannot be called around a gateway; the caller is who its bearer token says,
 * verified here against the token's own issuer, so what reaches a subgraph is what any gateway can pass on.
 */
export async function startSubgraphHttp<TContext extends BaseContext>(
  options: SubgraphHttpOptions<TContext>,
): Promise<RunningHttpServer> {
  const { subgraph } = options;
  const { apollo, routes } = subgraph;
  apollo.addPlugin(requestMetricsPlugin<TContext>(options.metrics));
  await apollo.start();
  // every request's token is verified here (no gateway is trusted for who calls), once per token while it lives
  const bearers = new VerifiedBearers(options.verifier);
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/ready', async (_req, res) => {
    const { ready, body } = await readiness(options.connection, options.readyMaxOutboxAgeSeconds);
    res.status(ready ? 200 : 503).json(body);
  });
  app.get('/metrics', metricsEndpoint(options.metrics, options.metricsToken));
  if (routes) app.use(routes);
  app.use(
    '/graphql',
    httpResponseMetrics(options.metrics),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = headerValue(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
        checkGatewayCredential(headerValue(req.headers[GATEWAY_CREDENTIAL_HEADER]), options.gatewaySecret);
        const caller = await options.customers.resolve(await bearers.callerOf(headerValue(req.headers[AUTHORIZATION_HEADER])));
        const logger = options.logger.child({ requestId });
        return subgraph.createContext({ caller, requestId, logger });
      },
    }),
  );
  app.use(jsonErrorHandler(options.logger));
  const running = await listen(app, options.port, options.host);
  return {
    ...running,
    close: async () => {
      await running.close();
      await apollo.stop();
    },
  };
}
