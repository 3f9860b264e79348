import { mapLimit } from '@omo/lib/core/concurrency';
import { AppError } from '@omo/lib/core/errors';
import { membersContract, type MemberCard } from '@omo/lib/contracts/members';
import { pointsContract, type AccountSummary } from '@omo/lib/contracts/points';
import { internalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Personal } from '../delivery/delivery-messages';

/**
 * The chat's view of a member, read from the owners' internal APIs (members: the card, points: the account),
 * never from their collections. Answers are parsed by the contracts, so a change on the other side fails here
 * loudly (the owner is treated as unavailable) instead of rendering "undefined pt" to a customer.
 */
export type { MemberCard } from '@omo/lib/contracts/members';
export type { AccountSummary } from '@omo/lib/contracts/points';

export interface MemberAccountDeps {
  services: ServiceDirectory;
  internalSecret: string;
}

const caller = (deps: MemberAccountDeps) => ({ directory: deps.services, internalSecret: deps.internalSecret, service: 'line' });

/** The member a link points to, or the member it was merged into; null when there is none (deleted, never existed). */
export async function fetchMemberCard(deps: MemberAccountDeps, memberId: string): Promise<MemberCard | null> {
  try {
    return await internalClient(membersContract, caller(deps)).card({ memberId });
  } catch (error) {
    if (error instanceof AppError && error.extensions.code === 'NOT_FOUND') return null;
    throw error;
  }
}

export async function fetchAccountSummary(deps: MemberAccountDeps, memberId: string): Promise<AccountSummary> {
  return internalClient(pointsContract, caller(deps)).accountSummary({ memberId });
}

/** Member lookups in flight at once when filling in a batch of personalised messages. */
const PERSONALISE_CONCURRENCY = 8;

/**
 * The placeholders' values ({displayName}, {points}, {tier}, {expiringPoints}, {expiresAt}) for a batch of
 * recipients, from the same owners' APIs the chat reads (the member card and the points account), a few at a time.
 * A member who no longer exists is left out of the answer.
 */
export function personaliser(deps: MemberAccountDeps): (memberIds: string[]) => Promise<Map<string, Personal>> {
  return async (memberIds) => {
    const found = await mapLimit(memberIds, PERSONALISE_CONCURRENCY, async (memberId): Promise<[string, Personal] | null> => {
      const card = await fetchMemberCard(deps, memberId);
      if (!card || card.status !== 'ACTIVE') return null;
      const account = await fetchAccountSummary(deps, card.memberId);
      return [memberId, { displayName: card.displayName, points: account.balance, tier: account.tier, expiring: account.expiring[0] ?? null }];
    });
    return new Map(found.filter((entry) => entry !== null));
  };
}
