/**
 * Hive Gateway for scenario 1, serving the committed schema/supergraph.graphql over the same subgraph processes as
 * our gateway, with nothing of ours in it: the subgraphs verify the caller's bearer token themselves, so this config
 * uses only Hive's built-in header propagation to pass the client's Authorization header on and add the gateway
 * credential (GATEWAY_SECRET), as Apollo Router's `headers` rules (propagate, insert) would. Request deduplication
 * is off in both directions.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const gatewaySecret = required('GATEWAY_SECRET');

/**
 * The options used, typed here rather than with the package's defineConfig: its type declarations bring a second
 * @types/node (v25) into the type check, whose globals clash with the project's.
 */
interface HiveGatewayConfig {
  logging: 'warn';
  inboundInflightRequestDeduplication: boolean;
  transportEntries: Record<string, { location?: string; options?: Record<string, unknown> }>;
  propagateHeaders: {
    fromClientToSubgraphs(payload: { request: Request; subgraphName: string }): Record<string, string>;
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
    fromClientToSubgraphs: ({ request }) => {
      const authorization = request.headers.get('authorization');
      return { 'x-omo-gateway': gatewaySecret, ...(authorization ? { authorization } : {}) };
    },
  },
};
