import { timingSafeEqual, createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import type { RequestHandler } from 'express';
import { Kind } from 'graphql';
import type { ServiceMetrics } from './metrics';

const MAX_LABEL_LENGTH = 100;

/**
 * What a request is called on the metrics: its operation name, else (an anonymous operation) its root fields, so
 * `mutation { recordPurchase(...) }` counts as recordPurchase; `(invalid)` when it never parsed or validated.
 */
function operationName(context: GraphQLRequestContextWillSendResponse<object>): string {
  const operation = context.operation;
  if (!operation) return '(invalid)';
  if (operation.name) return operation.name.value.slice(0, MAX_LABEL_LENGTH);
  const fields = operation.selectionSet.selections.map((selection) => (selection.kind === Kind.FIELD ? selection.name.value : '...'));
  return fields.join(',').slice(0, MAX_LABEL_LENGTH);
}

/** The outcome label: ok, or the first error's code (partial data with an error is not ok). */
function outcomeOf(context: GraphQLRequestContextWillSendResponse<object>): string {
  const body = context.response.body;
  const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
  if (!errors?.length) return 'ok';
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/** Counts and times every GraphQL request by operation and outcome. */
export function requestMetricsPlugin<TContext extends object>(metrics: ServiceMetrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse(context) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.requests.record(metrics.operationLabel(operationName(context)), outcomeOf(context), seconds);
        },
      };
    },
  };
}

/** Counts /graphql's responses by status once sent, refusals before GraphQL included. */
export function httpResponseMetrics(metrics: ServiceMetrics): RequestHandler {
  return (_req, res, next) => {
    res.once('finish', () => metrics.httpResponses.inc({ status: String(res.statusCode) }));
    next();
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * GET /metrics: the service's metrics in Prometheus's text format. With a token configured, only a request
 * carrying it (`Authorization: Bearer <token>`) is answered; compared in constant time.
 */
export function metricsEndpoint(metrics: ServiceMetrics, token: string | undefined): RequestHandler {
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  return (req, res, next) => {
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      return void res.status(401).set('www-authenticate', 'Bearer').json({ error: 'a valid metrics token is required' });
    }
    metrics.render().then(({ contentType, body }) => void res.type(contentType).send(body), next);
  };
}
