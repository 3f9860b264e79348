import { Types } from 'mongoose';
import { partnerEvent, type PartnerEvent } from '@omo/lib/events/partner-events';
import { PARTNER_EVENT_ITEM, type PartnerEventPublisher } from '@omo/lib/events/partner-event-publisher';
import { RetryLater, type Outbox, type OutboxHandler } from '@omo/lib/outbox/outbox';
import type { MemberModel, MemberDoc } from '../models/member.model';

/** The members outbox item of a change to a member, written before it: its handler reads what the change stored. */
export const MEMBER_EVENT_ITEM = 'partner-member-event';
/** A change whose member never showed it (the request failed after queueing the item) is dropped after this. */
const ABANDONED_MS = 60_000;

type MemberTopic = 'member.registered' | 'member.withdrawn';

/** What the sign-up and withdrawal paths call before their write (none in tools that only read or seed). */
export interface MemberChangeHook {
  before(topic: MemberTopic, memberId: Types.ObjectId): Promise<void>;
  /** As before, for a batch of members written together (the member import): their items in one insert. */
  beforeMany(topic: MemberTopic, memberIds: Types.ObjectId[]): Promise<void>;
  /**
   * After the members of beforeMany are stored: their items run again, for an earlier run may have queued them
   * under the same ids and had them given up before dying (beforeMany keeps an item already there as it is).
   */
  storedMany(topic: MemberTopic, memberIds: Types.ObjectId[]): Promise<void>;
}

/**
 * members' own events. A registration and a withdrawal queue their item before the member is written, so a process
 * dying after the write has left it; the item publishes the event once the member shows the change (a new member
 * stored, a member WITHDRAWN), or, after ABANDONED_MS without it, ends having published nothing (the change never
 * happened). Topics nobody subscribes to write nothing (the publisher's cached answer).
 */
export class MemberEvents implements MemberChangeHook {
  constructor(
    private readonly members: MemberModel,
    private readonly publisher: PartnerEventPublisher,
    private readonly outbox: () => Outbox,
    private readonly clock: () => Date,
  ) {}

  before(topic: MemberTopic, memberId: Types.ObjectId): Promise<void> {
    return this.beforeMany(topic, [memberId]);
  }

  async beforeMany(topic: MemberTopic, memberIds: Types.ObjectId[]): Promise<void> {
    if (!memberIds.length || !this.publisher.wants(topic)) return;
    await this.outbox().enqueueMany(memberIds.map((memberId) => ({ key: itemKey(topic, memberId), type: MEMBER_EVENT_ITEM, payload: { topic, memberId: memberId.toHexString() } })));
  }

  async storedMany(topic: MemberTopic, memberIds: Types.ObjectId[]): Promise<void> {
    if (!memberIds.length || !this.publisher.wants(topic)) return;
    // only an item old enough to be given up can have a run deciding to drop it on a read from before the members
    await this.outbox().rearmMany(
      memberIds.map((memberId) => itemKey(topic, memberId)),
      new Date(this.clock().getTime() - ABANDONED_MS),
    );
  }

  /** After a merge completed (its outbox handler, so a crash before this runs it again): the survivor continues. */
  merged(mergeId: string, survivorId: string, mergedId: string): Promise<boolean> {
    const event = partnerEvent('member.merged', `member.merged:${mergeId}`, this.clock(), { memberId: survivorId, survivorId, mergedId });
    return this.publisher.publish(this.outbox(), event);
  }

  handlers(publish: (event: PartnerEvent) => Promise<unknown>): Record<string, OutboxHandler> {
    return {
      [MEMBER_EVENT_ITEM]: async (payload, item) => {
        const topic = payload.topic as MemberTopic;
        const memberId = String(payload.memberId);
        const member = Types.ObjectId.isValid(memberId) ? await this.members.findById(memberId).lean<MemberDoc>().exec() : null;
        const event = member && eventOf(topic, member);
        if (event) return publish(event);
        if (this.clock().getTime() - item.createdAt.getTime() < ABANDONED_MS) throw new RetryLater('the member does not show the change yet');
        return { dropped: `the ${topic} change was not stored` };
      },
    };
  }
}

function itemKey(topic: MemberTopic, memberId: Types.ObjectId): string {
  return `${PARTNER_EVENT_ITEM}:${topic}:${memberId.toHexString()}`;
}

function eventOf(topic: MemberTopic, member: MemberDoc): PartnerEvent | null {
  const memberId = member._id.toHexString();
  if (topic === 'member.registered') {
    return partnerEvent(topic, `${topic}:${memberId}`, member.createdAt, {
      memberId,
      memberCode: member.memberCode,
      registeredVia: member.registeredVia,
      registeredAt: member.createdAt.toISOString(),
    });
  }
  if (member.status !== 'WITHDRAWN' || !member.withdrawnAt) return null;
  return partnerEvent(topic, `${topic}:${memberId}`, member.withdrawnAt, { memberId, withdrawnAt: member.withdrawnAt.toISOString() });
}
