import type { IncomingMessage } from 'node:http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';

/** Probes and scrapes: a span each would outnumber the requests worth tracing. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * The SDK for traces only. Metrics are Prometheus's (/metrics) and logs go to pino, so the SDK's own metric and log
 * pipelines, which it would otherwise start with an OTLP exporter by default, get none.
 */
export function createTracingSdk(serviceName: string): NodeSDK {
  return new NodeSDK({
    serviceName,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]!),
      }),
      new UndiciInstrumentation(),
      // one span per field would cost more than the request: resolvers that only read a property get none
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true }),
      new MongoDBInstrumentation(),
    ],
  });
}
