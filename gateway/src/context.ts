import type { BaseContext } from '@omo/lib/server/subgraph-server';

/** The caller established by the gateway, the bearer token that speaks for them, the request id and the request's logger. */
export interface GatewayContext extends BaseContext {
  /** The Authorization header the subgraphs get: the caller's own, or the POS token their key was exchanged for. */
  bearer?: string;
}
