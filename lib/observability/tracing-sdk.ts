import type { IncomingMessage, RequestOptions } from 'node:http';
import { NodeSDK, core } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { parseConfig, subgraphUrls } from '@omo/lib/core/config';

/** Probes and scrapes: a span each would outnumber the requests worth tracing. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

/** Query parameters of our own routes that carry a credential (the LINE link page's), redacted on server spans. */
const SECRET_QUERY_PARAMS = ['linkToken'];

/** `protocol//host:port`, the port always written, so that two spellings of one service compare equal. */
function origin(protocol: string, hostname: string, port: string | number | null | undefined): string {
  return `${protocol}//${hostname}:${port || (protocol === 'https:' ? 443 : 80)}`;
}

/** The origins of our own services: those of MEMBERS_URL and the others; none if the environment does not parse. */
export function ownOrigins(env: Record<string, string | undefined>): Set<string> {
  try {
    return new Set(Object.values(subgraphUrls(parseConfig(env))).map((url) => new URL(url)).map((url) => origin(url.protocol, url.hostname, url.port)));
  } catch {
    return new Set();
  }
}

/** Where a node:http client request goes, as `origin` writes it. */
export function requestOrigin(request: Pick<RequestOptions, 'protocol' | 'hostname' | 'host' | 'port'>): string {
  const hostname = request.hostname ?? request.host?.replace(/:\d+$/, '') ?? 'localhost';
  return origin(request.protocol ?? 'http:', hostname, request.port);
}

/** Where an undici (fetch) request goes, as `origin` writes it. */
export function fetchOrigin(given: string): string {
  const url = new URL(given);
  return origin(url.protocol, url.hostname, url.port);
}

let ours: Set<string> | undefined;
/** Read at the first outgoing call, by when the entry point has loaded its configuration (.env.development too). */
const isOurs = (target: string) => (ours ??= ownOrigins(process.env)).has(target);

/**
 * The SDK for traces only. Metrics are Prometheus's (/metrics) and logs go to pino, so the SDK's own metric and log
 * pipelines, which it would otherwise start with an OTLP exporter by default, get none. Only W3C trace context is
 * propagated (not a client's `baggage`), and only to our own services: a call to a third party (LINE, Shopify,
 * Smaregi, a key set) gets no span and no trace headers, so neither our trace ids nor its URL's parameters (a
 * Smaregi customer code) leave or reach a span. A client call with no request around it (a worker's, a probe's)
 * starts no trace of its own.
 */
export function createTracingSdk(serviceName: string): NodeSDK {
  return new NodeSDK({
    serviceName,
    metricReaders: [],
    logRecordProcessors: [],
    textMapPropagator: new core.W3CTraceContextPropagator(),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]!),
        ignoreOutgoingRequestHook: (request: RequestOptions) => !isOurs(requestOrigin(request)),
        requireParentforOutgoingSpans: true,
        redactedQueryParamsServer: SECRET_QUERY_PARAMS,
      }),
      new UndiciInstrumentation({
        ignoreRequestHook: (request) => !isOurs(fetchOrigin(request.origin)),
        requireParentforSpans: true,
      }),
      // one span per field would cost more than the request: resolvers that only read a property get none
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true }),
      new MongoDBInstrumentation(),
    ],
  });
}
