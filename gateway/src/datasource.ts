import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { IDENTITY_HEADER, REQUEST_ID_HEADER, signIdentity } from '@omo/lib/auth';
import type { GatewayContext } from './context';

/** Forwards the caller to a subgraph as a short-lived identity signed with the internal secret. */
export class IdentityForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    private readonly internalSecret: string,
  ) {
    super({ url });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Gateway-internal requests (health checks) have no caller: they go as anonymous
    const { caller, requestId } = context as Partial<GatewayContext>;
    request.http?.headers.set(IDENTITY_HEADER, signIdentity(caller ?? { kind: 'anonymous' }, this.internalSecret));
    if (requestId) request.http?.headers.set(REQUEST_ID_HEADER, requestId);
  }
}
