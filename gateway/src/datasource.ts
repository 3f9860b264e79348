import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Kind, parse, type GraphQLFormattedError, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import fetch, { type RequestInit } from 'node-fetch';
import { AUTHORIZATION_HEADER, GATEWAY_CREDENTIAL_HEADER, REQUEST_ID_HEADER } from '@omo/lib/core/auth';
import { isClientCode } from '@omo/lib/core/errors';
import type { GatewayContext } from './context';

const UNAVAILABLE = 'A service needed to answer part of this query is unavailable; try again shortly';

/**
 * What the fetcher throws when it cannot reach the subgraph at all (refused, reset, no route) or the subgraph did not
 * answer within SUBGRAPH_TIMEOUT_MS (node-fetch's `timeout`).
 */
function isUnreachable(error: unknown): boolean {
  const type = (error as { type?: unknown }).type;
  return error instanceof Error && error.name === 'FetchError' && (type === 'system' || type === 'request-timeout');
}

type SubgraphError = GraphQLFormattedError & { extensions: { code: string } };

/**
 * The GraphQL errors of a subgraph's HTTP 400 when every one of them is the client's fault (a custom scalar the
 * gateway cannot check, such as a malformed DateTime, is only refused by the subgraph): the fetcher's error keeps
 * the subgraph's body in `extensions.response`.
 */
function clientErrorsOf(error: unknown): SubgraphError[] | undefined {
  const response = (error as { extensions?: { response?: { status?: unknown; body?: unknown } } } | null)?.extensions?.response;
  // 400: the request was refused; 401: the customer behind a valid token was withdrawn since it was issued;
  // 503: the subgraph could not check the caller (an issuer's keys or members unreachable)
  if (response?.status !== 400 && response?.status !== 401 && response?.status !== 503) return undefined;
  const errors = (response.body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const all = errors as Partial<GraphQLFormattedError>[];
  return all.every((e) => typeof e.message === 'string' && isClientCode(e.extensions?.code)) ? (all as SubgraphError[]) : undefined;
}

/** The response keys of a selection set, looking through inline fragments (the gateway's fetches use no named ones). */
function responseKeys(selectionSet: SelectionSetNode): string[] {
  return selectionSet.selections.flatMap((s) =>
    s.kind === Kind.FIELD ? [s.alias?.value ?? s.name.value] : s.kind === Kind.INLINE_FRAGMENT ? responseKeys(s.selectionSet) : [],
  );
}

/**
 * The paths of the fields a fetch asked for, in the subgraph's terms, which the gateway maps onto the client's
 * query: each root field, or each field of each entity of an `_entities(representations:) { ... on T { ... } }`.
 */
function requestedPaths(request: GraphQLDataSourceProcessOptions['request']): (string | number)[][] {
  if (!request.query) return [];
  const operation = parse(request.query).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return [];
  const representations: unknown = request.variables?.representations;
  if (!Array.isArray(representations)) return responseKeys(operation.selectionSet).map((key) => [key]);
  const fields = operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD && s.selectionSet ? responseKeys(s.selectionSet) : []));
  return representations.flatMap((_, i) => fields.map((key) => ['_entities', i, key]));
}

/**
 * node-fetch (which @apollo/gateway builds its requests with) over a keep-alive agent of its own. The gateway's
 * default, make-fetch-happen, cost four times the CPU per subgraph fetch (420 µs against 90 µs, measured on
 * loopback), much of it agent-base taking a stack trace on every request to tell http from https.
 */
export function keepAliveFetch(subgraphUrl: string, timeoutMs: number) {
  // a subgraph's URL is fixed, and the config accepts https ones (behind a mesh, a managed platform)
  const agent = new URL(subgraphUrl).protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  // a hung subgraph would otherwise hold the client's request (and its connection) for ever
  return (url: string, init?: RequestInit) => fetch(url, { ...init, agent, timeout: timeoutMs });
}

/**
 * Forwards the caller's bearer token to a subgraph with the gateway credential: two headers that Apollo Router and
 * Hive Gateway can send too (propagate Authorization, insert a static header), so the subgraphs need no gateway of ours.
 */
export class IdentityForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    private readonly gatewaySecret: string,
    timeoutMs: number,
  ) {
    super({ url, fetcher: keepAliveFetch(url, timeoutMs) });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Gateway-internal requests (health checks) have no caller: they go as anonymous
    const { bearer, requestId } = context as Partial<GatewayContext>;
    request.http?.headers.set(GATEWAY_CREDENTIAL_HEADER, this.gatewaySecret);
    if (bearer) request.http?.headers.set(AUTHORIZATION_HEADER, bearer);
    if (requestId) request.http?.headers.set(REQUEST_ID_HEADER, requestId);
  }

  /**
   * A subgraph that refuses a request as the client's fault (HTTP 400 with client error codes) answers those
   * errors, as it would with HTTP 200, instead of a fetch failure the client would see as internal.
   * A subgraph that cannot be reached, or does not answer in time, answers in its place SERVICE_UNAVAILABLE on each
   * field it was asked for (a mutation among them may have run: its idempotency key makes the retry safe),
   * so the client gets the rest of the query and knows which fields are missing and why (the fetcher's own error
   * names the subgraph's address).
   */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource['process']> {
    try {
      return await super.process(options);
    } catch (error) {
      const clientErrors = clientErrorsOf(error);
      if (clientErrors) {
        // a stale supergraph would show here too, as a subgraph refusing what the gateway accepted
        (options.context as Partial<GatewayContext>).logger?.warn({ codes: clientErrors.map((e) => e.extensions.code) }, 'subgraph refused a request');
        return { errors: clientErrors };
      }
      if (!isUnreachable(error)) throw error;
      const paths = requestedPaths(options.request);
      if (paths.length === 0) throw error;
      (options.context as Partial<GatewayContext>).logger?.error({ err: error }, 'subgraph unreachable');
      return { errors: paths.map((path) => ({ message: UNAVAILABLE, path, extensions: { code: 'SERVICE_UNAVAILABLE' } })) };
    }
  }
}
