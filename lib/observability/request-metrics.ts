import { timingSafeEqual, createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import type { RequestHandler } from 'express';
import { Kind, type FragmentDefinitionNode, type SelectionNode } from 'graphql';
import type { ServiceMetrics } from './metrics';

/**
 * The names of the fields a selection selects at its level, through its fragments, each fragment followed once: a
 * small document whose fragments spread the next one twice would otherwise take 2^depth steps (the cost limit that
 * refuses it runs only after this count, which sees every request).
 */
function fieldNames(selections: readonly SelectionNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>, followed = new Set<string>()): string[] {
  return selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldNames(selection.selectionSet.selections, fragments, followed);
    const fragment = fragments.get(selection.name.value);
    if (!fragment || followed.has(fragment.name.value)) return [];
    followed.add(fragment.name.value);
    return fieldNames(fragment.selectionSet.selections, fragments, followed);
  });
}

/**
 * What a request is counted as: its operation's root fields (`recordPurchase`), not its name, which the client
 * makes up; `(invalid)` when it never parsed or validated, so every field named is one of the schema's.
 */
function requestLabel(context: GraphQLRequestContextWillSendResponse<object>, metrics: ServiceMetrics): string {
  const operation = context.operation;
  if (!operation || !context.document) return '(invalid)';
  const fragments = new Map(context.document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  return metrics.operationLabel(fieldNames(operation.selectionSet.selections, fragments));
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
          metrics.requests.record(requestLabel(context, metrics), outcomeOf(context), seconds);
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
