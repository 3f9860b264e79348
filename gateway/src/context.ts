import type { Caller } from '@omo/lib/auth';

export interface GatewayContext {
  caller: Caller;
  requestId: string;
}
