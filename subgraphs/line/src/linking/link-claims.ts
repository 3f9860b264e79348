import { claimOnce, insertOnce } from '@omo/lib/core/claims';
import type { Logger } from '@omo/lib/core/logger';
import type { LineClient } from '../line-api/line.client';
import type { LineUserModel } from '../webhook/line-user.model';
import { storeLanguage } from '../webhook/user-language';
import type { LinkClaimDoc, LinkClaimModel } from './link-claim.model';
import type { LineLinkDoc, LineLinkModel } from './line-link.model';

/**
 * How a link attempt ended. `unknown`, `expired` and `used` describe the code or nonce; the `*-elsewhere`
 * outcomes are the one-to-one rule refusing.
 */
export type LinkOutcome =
  | 'linked'
  | 'already-linked'
  | 'user-linked-elsewhere'
  | 'member-linked-elsewhere'
  | 'unknown'
  | 'expired'
  | 'used'
  | 'too-many-attempts';

export interface LinkClaimsDeps {
  links: LineLinkModel;
  users: LineUserModel;
  claims: LinkClaimModel;
  client: Pick<LineClient, 'profile'>;
  /** Makes the user's rich menu follow their link (members' menu when linked, guest menu otherwise), durably. */
  followMenu: (lineUserId: string) => Promise<void>;
  clock: () => Date;
  logger: Logger;
}

/** Bounded retries when a link insert clashes with a link that is removed meanwhile. */
const MAX_LINK_RACES = 3;

/**
 * The one-time use of a nonce or code (its claim in line_link_claims) and the link it stores, each a unique
 * insert: the link has the LINE user id as `_id` and a unique memberId, so it is one to one on both sides.
 */
export class LinkClaims {
  constructor(private readonly deps: LinkClaimsDeps) {}

  linkOf(lineUserId: string): Promise<LineLinkDoc | null> {
    return this.deps.links.findById(lineUserId).lean<LineLinkDoc>().exec();
  }

  linkOfMember(memberId: string): Promise<LineLinkDoc | null> {
    return this.deps.links.findOne({ memberId }).lean<LineLinkDoc>().exec();
  }

  /** Claims the nonce or code, then links; a claim left unfinished by a crash of the same event is finished. */
  async claimAndLink(claimId: string, lineUserId: string, memberId: string): Promise<LinkOutcome> {
    if ((await this.claim(claimId, lineUserId, memberId)) === 'used') return 'used';
    const outcome = await this.attach(lineUserId, memberId);
    await this.deps.claims.updateOne({ _id: claimId }, { $set: { completedAt: this.deps.clock() } }).exec();
    if (outcome === 'linked' || outcome === 'already-linked') await this.switchMenu(lineUserId);
    return outcome;
  }

  /**
   * Links a LINE user proven there and then (the member page: LINE's ID token for the user, the member's own join
   * or credentials for the member), so there is no one-time secret to spend. Linking what is linked already
   * succeeds again and queues the menu again, which finishes a link whose menu switch a crash cut off.
   */
  async linkVerified(lineUserId: string, memberId: string): Promise<LinkOutcome> {
    const outcome = (await this.conflict(lineUserId, memberId)) ?? (await this.attach(lineUserId, memberId));
    if (outcome === 'linked' || outcome === 'already-linked') await this.switchMenu(lineUserId);
    return outcome;
  }

  /**
   * Takes a nonce or code for good (`spent`: without linking). Losing the insert means it was used — unless the
   * claim is ours and unfinished: the same event retried after a crash between claim and link, which must finish
   * rather than be refused.
   */
  async claim(id: string, lineUserId: string, memberId: string, spent = false): Promise<'claimed' | 'resumed' | 'used'> {
    const now = this.deps.clock();
    const claim = await claimOnce(this.deps.claims, { _id: id, lineUserId, memberId, claimedAt: now, completedAt: spent ? now : null });
    if (claim.won) return 'claimed';
    return stateOf(claim.existing, lineUserId, memberId) === 'resumable' ? 'resumed' : 'used';
  }

  async claimState(id: string, lineUserId: string, memberId: string): Promise<'free' | 'resumable' | 'used'> {
    return stateOf(await this.deps.claims.findById(id).lean<LinkClaimDoc>().exec(), lineUserId, memberId);
  }

  /** What refuses linking these two: a link of the LINE user or of the member; null when neither is linked. */
  async conflict(lineUserId: string, memberId: string): Promise<LinkOutcome | null> {
    const [byUser, byMember] = await Promise.all([this.linkOf(lineUserId), this.linkOfMember(memberId)]);
    if (byUser) return byUser.memberId === memberId ? 'already-linked' : 'user-linked-elsewhere';
    return byMember ? 'member-linked-elsewhere' : null;
  }

  /**
   * The rich menu follows the link, through the durable `followMenu` (an outbox item that sets the menu the user's
   * link calls for when it runs, retried until LINE accepts). Nothing here fails a link that is already stored:
   * if even queueing fails, that is logged and the next link or unlink sets the menu again.
   */
  async switchMenu(lineUserId: string): Promise<void> {
    try {
      await this.deps.followMenu(lineUserId);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not queue the LINE rich menu switch');
    }
  }

  /**
   * Stores the link; the unique `_id` and memberId refuse a second link on either side. The profile read for the
   * name also gives the language, kept as the chat keeps it: notifications read it there, and someone who linked
   * or joined on a page may never have written to the account.
   */
  private async attach(lineUserId: string, memberId: string): Promise<LinkOutcome> {
    const [profile, user] = await Promise.all([this.deps.client.profile(lineUserId), this.deps.users.findById(lineUserId).lean().exec()]);
    if (profile) {
      const now = this.deps.clock();
      await storeLanguage(this.deps, lineUserId, { language: profile.language, languageReadAt: now, languageTriedAt: now });
    }
    const displayName = profile?.displayName ?? null;
    for (let race = 0; race < MAX_LINK_RACES; race += 1) {
      const link: LineLinkDoc = { _id: lineUserId, memberId, displayName, linkedAt: this.deps.clock(), friendStatus: user?.friendStatus ?? 'FRIEND' };
      if (await insertOnce(this.deps.links, link)) {
        this.deps.logger.info({ memberId }, 'LINE account linked');
        return 'linked';
      }
      // FerretDB's E11000 does not say which key clashed: read both sides
      const conflict = await this.conflict(lineUserId, memberId);
      if (conflict) return conflict;
    }
    throw new Error('LINE link kept clashing with links that vanished: giving up for a retry');
  }
}

function stateOf(existing: LinkClaimDoc | null, lineUserId: string, memberId: string): 'free' | 'resumable' | 'used' {
  if (!existing) return 'free';
  const ours = !existing.completedAt && existing.lineUserId === lineUserId && existing.memberId === memberId;
  return ours ? 'resumable' : 'used';
}
