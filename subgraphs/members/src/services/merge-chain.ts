import type { Types } from 'mongoose';
import type { MemberDoc } from '../models/member.model';

/**
 * How many merges a chain is followed through. A chain grows one merge at a time (a survivor merged later into
 * someone else), never into a cycle, since a merged member cannot be a survivor; the bound caps what one look-up
 * may read, and past it the member reached is answered as it is.
 */
const MAX_MERGE_HOPS = 10;

/**
 * The member `member` now lives on: a merged member's survivor, followed through later merges; the member itself
 * otherwise (null when a link in the chain has gone). Members is the owner of identity: this is the one place the
 * chain is followed, and other services ask members for its answer (/internal/members/current, resolve-code).
 * `load` reads one member by id: a request's DataLoader, or the model.
 */
export async function currentMemberOf(
  member: MemberDoc | null,
  load: (id: Types.ObjectId) => Promise<MemberDoc | null>,
): Promise<MemberDoc | null> {
  let current = member;
  for (let hops = 0; current?.status === 'MERGED' && current.mergedIntoId && hops < MAX_MERGE_HOPS; hops += 1) {
    current = await load(current.mergedIntoId);
  }
  return current;
}
