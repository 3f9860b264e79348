import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { createTracingSdk as CreateTracingSdk } from './tracing-sdk';

let sdk: NodeSDK | undefined;

/**
 * Tracing is on when OTEL_TRACES_EXPORTER names an exporter (otlp, console, zipkin) and OTEL_SDK_DISABLED is not
 * true. Off, nothing of the SDK is loaded: the gateway and subgraphs pay nothing for it.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  return env.OTEL_SDK_DISABLED !== 'true' && exporters.length > 0 && !exporters.includes('none');
}

/**
 * Starts the OpenTelemetry SDK when tracing is on: W3C trace context into every HTTP server and out of every HTTP
 * client call to our own services (node:http, which the gateway's subgraph fetches use, and undici, behind the
 * internal APIs' fetch; not to third parties), GraphQL execution and MongoDB commands. The exporter, endpoint, sampler and service name come from the
 * standard OTEL_* variables, read by the SDK itself. Must run before those modules are first required: the
 * instrumentations patch them as they load (see register-tracing.ts).
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || !tracingEnabled(env)) return Boolean(sdk);
  // required here rather than imported, so that with tracing off not one module of the SDK is loaded
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createTracingSdk } = require('./tracing-sdk') as { createTracingSdk: typeof CreateTracingSdk };
  sdk = createTracingSdk(env.OTEL_SERVICE_NAME ?? 'omo-loyalty');
  sdk.start();
  return true;
}

/** Sends the spans still buffered; a process stopping on a signal calls it before it exits. */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown();
}
