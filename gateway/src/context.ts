import type { BaseContext } from '@omo/lib/subgraph-server';

/** The caller established by the gateway, the request id it forwards, and the request's logger. */
export type GatewayContext = BaseContext;
