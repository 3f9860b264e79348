import { randomUUID } from 'node:crypto';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { API_KEY_HEADER, AUTHORIZATION_HEADER, REQUEST_ID_HEADER } from '@omo/lib/core/auth';
import { bearerVerifierFor } from '@omo/lib/core/bearer-tokens';
import { subgraphUrls, type AppConfig, type SubgraphName } from '@omo/lib/core/config';
import { AppError, makeFormatError } from '@omo/lib/core/errors';
import { POS_TOKEN_PATH } from '@omo/lib/contracts/members';
import type { Logger } from '@omo/lib/core/logger';
import { requestLoggingPlugin } from '@omo/lib/server/subgraph-server';
import { headerValue, jsonErrorHandler, listen, type RunningHttpServer } from '@omo/lib/server/http';
import { ServiceMetrics } from '@omo/lib/observability/metrics';
import { httpResponseMetrics, metricsEndpoint, requestMetricsPlugin } from '@omo/lib/observability/request-metrics';
import { EXCHANGE_TIMEOUT_MS, GatewayAuthenticator, type Authenticated } from './auth';
import type { GatewayContext } from './context';
import { IdentityForwardingDataSource } from './datasource';
import { consoleRouter, type ConsoleOptions } from './console';
import { StaffOidc } from './console-oidc';
import { ideRouter, type IdeDefaults } from './ide';
import { depthLimitRule } from './depth-limit';
import { costLimitPlugin } from './query-cost';
import { responseSizeLimitPlugin } from './response-size';
import { operationResolutionPlugin } from './operations';
import { rateLimit } from './rate-limit';
import { readSupergraph } from './supergraph';

const READY_TIMEOUT_MS = 2_000;
const MAX_BODY = '100kb';

function baseUrl(graphqlUrl: string): string {
  return graphqlUrl.replace(/\/graphql\/?$/, '');
}

/** Asks every subgraph's /ready (which pings its database); reports each one by name. */
async function readiness(urls: Record<SubgraphName, string>): Promise<Record<SubgraphName, 'up' | 'down'>> {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      try {
        const response = await fetch(`${baseUrl(url)}/ready`, { signal: AbortSignal.timeout(READY_TIMEOUT_MS) });
        return [name, response.ok ? 'up' : 'down'] as const;
      } catch {
        return [name, 'down'] as const;
      }
    }),
  );
  return Object.fromEntries(entries) as Record<SubgraphName, 'up' | 'down'>;
}

/**
 * The single public endpoint: @apollo/gateway over the committed supergraph (no composition at start-up, no
 * polling, no Apollo telemetry), with caller authentication, CORS, and depth/cost/size limits.
 */
export async function startGateway(options: {
  config: AppConfig;
  logger: Logger;
  port: number;
  host?: string;
  /** What the GraphQL IDE (outside production) opens with: `npm start`'s development headers, a sample query. */
  ide?: Partial<IdeDefaults>;
  /** The staff console at /console/: where its build is, and `npm start`'s development sign-in. */
  console?: ConsoleOptions;
}): Promise<RunningHttpServer & { apollo: ApolloServer<GatewayContext> }> {
  const { config, logger } = options;
  const urls = subgraphUrls(config);
  const supergraphSdl = readSupergraph();
  // @apollo/gateway otherwise probes the cloud metadata addresses at start and reports this host (OS, CPUs, memory)
  // to Apollo every hour and at stop; this variable is its only switch
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => {
      const url = urls[name as SubgraphName];
      if (!url) throw new Error(`No URL configured for subgraph ${name}`);
      return new IdentityForwardingDataSource(url, config.GATEWAY_SECRET, config.SUBGRAPH_TIMEOUT_MS);
    },
    logger,
  });
  const production = config.NODE_ENV === 'production';
  const metrics = new ServiceMetrics();
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: makeFormatError(logger),
    includeStacktraceInErrorResponses: false,
    // Nothing uses automatic persisted queries (no CDN, no GET caching): one fewer way in for malformed requests
    persistedQueries: false,
    introspection: !production,
    parseOptions: { maxTokens: config.MAX_QUERY_TOKENS },
    validationRules: [depthLimitRule(config.MAX_QUERY_DEPTH)],
    plugins: [
      // Apollo's landing pages load Sandbox or Studio from a CDN; outside production /graphql serves GraphiQL (./ide)
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      operationResolutionPlugin<GatewayContext>(),
      costLimitPlugin<GatewayContext>(config.MAX_QUERY_COST, supergraphSdl),
      responseSizeLimitPlugin<GatewayContext>(config.MAX_RESPONSE_BYTES),
      requestLoggingPlugin<GatewayContext>('info'),
      requestMetricsPlugin<GatewayContext>(metrics),
    ],
  });
  await apollo.start();

  const membersBaseUrl = baseUrl(urls.members);
  const verifier = bearerVerifierFor(config, () => membersBaseUrl);
  const authenticator = new GatewayAuthenticator({ verifier, membersBaseUrl });
  const limit = rateLimit(config, (res) => (res.locals.auth as Authenticated | undefined)?.caller);

  const app = express();
  app.disable('x-powered-by');
  // express hashes every response body for an ETag; nothing revalidates a GraphQL POST, so that hash was wasted work
  app.set('etag', false);
  if (config.TRUST_PROXY) app.set('trust proxy', config.TRUST_PROXY);
  app.use(cors({ origin: config.CORS_ORIGINS, credentials: true, maxAge: 600 }));
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/ready', async (_req, res) => {
    const subgraphs = await readiness(urls);
    const up = Object.values(subgraphs).filter((s) => s === 'up').length;
    // with some subgraphs down this gateway still answers their fields SERVICE_UNAVAILABLE and serves the rest, as
    // every other gateway would: unready, it would be taken out of rotation with all its peers at once
    const status = up === Object.keys(subgraphs).length ? 'ready' : up > 0 ? 'degraded' : 'unavailable';
    res.status(up > 0 ? 200 : 503).json({ status, subgraphs });
  });
  app.get('/metrics', metricsEndpoint(metrics, config.METRICS_TOKEN));
  if (!production) {
    const ide = ideRouter(options.ide);
    app.use('/graphql/ide', ide.assets);
    app.get('/graphql', ide.page);
  }
  const staffOidc = config.STAFF_OIDC_ISSUER && config.STAFF_OIDC_CLIENT_ID
    ? new StaffOidc(
        { issuer: config.STAFF_OIDC_ISSUER, clientId: config.STAFF_OIDC_CLIENT_ID, clientSecret: config.STAFF_OIDC_CLIENT_SECRET, scope: config.STAFF_OIDC_SCOPE },
        (token) => verifier.verify(token),
        logger,
      )
    : undefined;
  // the sign-in routes call the identity provider: anyone may ask, within the anonymous limit per address
  app.use('/console/session', limit);
  app.use('/console', consoleRouter({ oidc: staffOidc, logger, ...options.console }, production));
  app.use(
    '/graphql',
    httpResponseMetrics(metrics),
    (req, res, next) => {
      // A caller's request id is kept (up to 100 safe characters) so their logs and ours line up
      const given = headerValue(req.headers[REQUEST_ID_HEADER]);
      res.locals.requestId = given && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
      res.setHeader(REQUEST_ID_HEADER, res.locals.requestId as string);
      next();
    },
    (req, res, next) => {
      authenticator.authenticate({ authorization: headerValue(req.headers.authorization), apiKey: headerValue(req.headers[API_KEY_HEADER]) }).then(
        (auth) => {
          res.locals.auth = auth;
          next();
        },
        (error: unknown) => {
          res.locals.authError = error;
          next();
        },
      );
    },
    limit,
    (_req, res, next) => {
      const error: unknown = res.locals.authError;
      if (error === undefined) return next();
      if (error instanceof AppError) {
        const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 401;
        return void res.status(status).json({ errors: [{ message: error.message, extensions: { code: error.extensions.code } }] });
      }
      logger.error({ err: error, requestId: res.locals.requestId as string }, 'authentication failed');
      res.status(503).json({ errors: [{ message: 'Authentication is unavailable; try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    },
    express.json({ limit: MAX_BODY }),
    expressMiddleware(apollo, {
      context: ({ res }) => {
        const requestId = res.locals.requestId as string;
        const { caller, bearer } = res.locals.auth as Authenticated;
        return Promise.resolve({ caller, bearer, requestId, logger: logger.child({ requestId }) });
      },
    }),
  );
  // POS integrators may exchange their key for a token themselves (OAuth 2 client credentials) and send that instead
  app.post(POS_TOKEN_PATH, limit, express.raw({ type: () => true, limit: '4kb' }), async (req, res) => {
    try {
      const answer = await fetch(`${membersBaseUrl}${POS_TOKEN_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': headerValue(req.headers['content-type']) ?? 'application/x-www-form-urlencoded',
          ...(req.headers.authorization ? { [AUTHORIZATION_HEADER]: req.headers.authorization } : {}),
        },
        body: req.body as Buffer,
        signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS),
      });
      res.status(answer.status).set('cache-control', 'no-store').type('application/json').send(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      logger.error({ err: error }, 'POS token exchange unreachable');
      res.status(503).json({ error: 'temporarily_unavailable', error_description: 'Try again shortly' });
    }
  });
  app.use(jsonErrorHandler(logger));

  const running = await listen(app, options.port, options.host);
  logger.info({ url: `${running.url}/graphql` }, 'gateway listening');
  return {
    ...running,
    apollo,
    close: async () => {
      await running.close();
      await apollo.stop();
    },
  };
}
