import { IDENTITY_HEADER, signIdentity, verifyUserToken, type Caller } from '@omo/lib/auth';

/**
 * Hive Gateway for scenario 1, serving the committed schema/supergraph.graphql over the same subgraph processes as
 * our gateway. The subgraphs accept only a caller identity signed with INTERNAL_SECRET, so this config does what
 * gateway/src does for a bearer token: verify the caller's JWT once per request and forward the caller to every
 * subgraph fetch as a freshly signed x-omo-identity. Request deduplication is off in both directions.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const jwtSecret = required('JWT_SECRET');
const internalSecret = required('INTERNAL_SECRET');
const callers = new WeakMap<object, Caller>();

function callerOf(request: Request, context: object): Caller {
  let caller = callers.get(context);
  if (!caller) {
    const authorization = request.headers.get('authorization');
    caller = authorization?.startsWith('Bearer ') ? verifyUserToken(authorization.slice('Bearer '.length), jwtSecret) : { kind: 'anonymous' };
    callers.set(context, caller);
  }
  return caller;
}

/**
 * The options used, typed here rather than with the package's defineConfig: its type declarations bring a second
 * @types/node (v25) into the type check, whose globals clash with the project's.
 */
interface HiveGatewayConfig {
  logging: 'warn';
  inboundInflightRequestDeduplication: boolean;
  transportEntries: Record<string, { location?: string; options?: Record<string, unknown> }>;
  propagateHeaders: {
    fromClientToSubgraphs(payload: { request: Request; context: object; subgraphName: string }): Record<string, string>;
  };
}

export const gatewayConfig: HiveGatewayConfig = {
  logging: 'warn',
  inboundInflightRequestDeduplication: false,
  transportEntries: {
    '*.http': { options: { deduplicateInflightRequests: false } },
    members: { location: required('MEMBERS_URL') },
    points: { location: required('POINTS_URL') },
    purchases: { location: required('PURCHASES_URL') },
    line: { location: required('LINE_URL') },
  },
  propagateHeaders: {
    fromClientToSubgraphs: ({ request, context }) => ({ [IDENTITY_HEADER]: signIdentity(callerOf(request, context), internalSecret) }),
  },
};
