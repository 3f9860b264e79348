import { z } from 'zod';
import { mapLimit } from '@omo/lib/core/concurrency';
import { AppError } from '@omo/lib/core/errors';
import { callInternal, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { Personal } from '../delivery/delivery-messages';

/**
 * The chat's view of a member, read from the owners' internal APIs (members: the card, points: the account),
 * never from their collections. Answers are parsed, so a change on the other side fails here loudly instead of
 * rendering "undefined pt" to a customer.
 */
const memberCardSchema = z.object({
  memberId: z.string(),
  memberCode: z.string().min(1),
  displayName: z.string(),
  status: z.string(),
});

const accountSummarySchema = z.object({
  balance: z.number().int(),
  pendingBalance: z.number().int(),
  tier: z.string(),
  qualifyingSpend: z.number().int(),
  nextTier: z.string().nullable(),
  spendToNextTier: z.number().int(),
  expiring: z.array(z.object({ points: z.number().int(), expiresAt: z.coerce.date() })),
  history: z.array(z.object({ type: z.string(), amount: z.number().int(), createdAt: z.coerce.date() })),
});

export type MemberCard = z.infer<typeof memberCardSchema>;
export type AccountSummary = z.infer<typeof accountSummarySchema>;

export interface MemberAccountDeps {
  services: ServiceDirectory;
  internalSecret: string;
}

function call(deps: MemberAccountDeps, target: string, path: string, body: unknown): Promise<unknown> {
  return callInternal<unknown>({ directory: deps.services, target, path, body, internalSecret: deps.internalSecret, service: 'line' });
}

/** The member a link points to, or the member it was merged into; null when there is none (deleted, never existed). */
export async function fetchMemberCard(deps: MemberAccountDeps, memberId: string): Promise<MemberCard | null> {
  try {
    return memberCardSchema.parse(await call(deps, 'members', '/internal/members/card', { memberId }));
  } catch (error) {
    if (error instanceof AppError && error.extensions.code === 'NOT_FOUND') return null;
    throw error;
  }
}

export async function fetchAccountSummary(deps: MemberAccountDeps, memberId: string): Promise<AccountSummary> {
  return accountSummarySchema.parse(await call(deps, 'points', '/internal/accounts/summary', { memberId }));
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
