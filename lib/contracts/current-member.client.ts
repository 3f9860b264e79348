import type { CurrentMemberLookup } from '@omo/lib/core/customer-status';
import { callInternal, type ServiceDirectory } from '@omo/lib/server/internal-api';

/** Asks the members service where a customer's membership is now (its own subgraph answers from its data instead). */
export function currentMemberClient(directory: ServiceDirectory, internalSecret: string, service: string): CurrentMemberLookup {
  return async (memberId) => {
    const { current } = await callInternal<{ current: Record<string, { memberId: string; status: string } | null> }>({
      directory,
      target: 'members',
      path: '/internal/members/current',
      body: { ids: [memberId] },
      internalSecret,
      service,
    });
    return current[memberId] ?? null;
  };
}
