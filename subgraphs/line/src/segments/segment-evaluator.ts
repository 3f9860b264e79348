import { mapLimit } from '@omo/lib/core/concurrency';
import { CANONICAL_OBJECT_ID } from '@omo/lib/core/validation';
import { membersContract } from '@omo/lib/contracts/members';
import { pointsContract } from '@omo/lib/contracts/points';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { SEGMENT_FILTER_BATCH, type SegmentFilterTarget } from '@omo/lib/contracts/segment-filter';
import { internalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { LineLinkDoc, LineLinkModel } from '../linking/line-link.model';
import type { LineUserModel } from '../webhook/line-user.model';
import type { SegmentNode } from './segment-definition';
import { combine, consentPlan, leavesByOwner, leavesOf, planSegment, type LineCondition, type Plan, type PlannedLeaf } from './segment-plan';

/** A linked LINE user: the only members a segment is evaluated over (they are who a message can reach). */
export interface Candidate {
  memberId: string;
  lineUserId: string;
  blocked: boolean;
  linkedAt: Date;
}

/** A candidate a marketing message is meant for, with whether the member consented to marketing at evaluation. */
export interface MarketingCandidate extends Candidate {
  consented: boolean;
}

export interface SegmentEvaluatorDeps {
  links: LineLinkModel;
  users: LineUserModel;
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
  /** Member ids per call to each service (default and maximum: SEGMENT_FILTER_BATCH). */
  batchSize?: number;
}

/** Batches in flight at once: each is one call to each owner service, run side by side. */
const CONCURRENT_BATCHES = 2;

/**
 * Evaluates segments over the linked LINE users. The candidates come from this service's own links; each batch of
 * their member ids goes, with the conditions it owns, to each service the definition needs (members, points,
 * purchases: POST /internal/segments/filter, side by side), and AND / OR / NOT are combined here. No collection of
 * another service is read, and the cost is a few calls per 5,000 members, whatever the definition's shape.
 */
export class SegmentEvaluator {
  constructor(private readonly deps: SegmentEvaluatorDeps) {}

  /** The candidates matching the definition, by member id; `at` is the instant every condition was judged at. */
  async evaluate(definition: SegmentNode): Promise<{ at: Date; matches: Candidate[] }> {
    const at = this.deps.clock();
    const [matches = []] = await this.run([planSegment(definition, at)], await this.candidates(), at);
    return { at, matches };
  }

  /**
   * The candidates matching the definition, each with the member's marketing consent judged at the same instant.
   * The consent leaf rides along in the members call each batch makes anyway (for `active`), so it costs no call.
   */
  async evaluateForMarketing(definition: SegmentNode): Promise<{ at: Date; matches: MarketingCandidate[] }> {
    const at = this.deps.clock();
    const [matches = [], consented = []] = await this.run([planSegment(definition, at), consentPlan()], await this.candidates(), at);
    const consentedIds = new Set(consented.map((c) => c.memberId));
    return { at, matches: matches.map((c) => ({ ...c, consented: consentedIds.has(c.memberId) })) };
  }

  /**
   * Several definitions in one pass over the candidates (one call per owner and batch for all of them): the
   * matches of each, in the order given. E.g. one definition per tier tells each linked member's tier. Their leaves
   * together must stay within the filter's 50 conditions per service.
   */
  async evaluateEach(definitions: readonly SegmentNode[]): Promise<{ at: Date; matches: Candidate[][] }> {
    const at = this.deps.clock();
    const plans = definitions.map((definition, i) => planSegment(definition, at, `d${i}c`));
    return { at, matches: await this.run(plans, await this.candidates(), at) };
  }

  /** The links of these members, those who are ACTIVE (as any segment would have them). */
  async members(memberIds: readonly string[]): Promise<Candidate[]> {
    const at = this.deps.clock();
    const [matches = []] = await this.run([planSegment(null, at)], await this.candidates(memberIds), at);
    return matches;
  }

  /** Which of these members consent to marketing now, asking members only (one call per batch of ids). */
  async consenting(memberIds: readonly string[]): Promise<Set<string>> {
    const at = this.deps.clock();
    const plan = consentPlan();
    const size = Math.min(this.deps.batchSize ?? SEGMENT_FILTER_BATCH, SEGMENT_FILTER_BATCH);
    const found = new Set<string>();
    for (let i = 0; i < memberIds.length; i += size) {
      const batch = memberIds.slice(i, i + size);
      const matches = await this.ask('members', batch, leavesOf(plan), at);
      for (const id of combine(plan, batch, new Map(Object.entries(matches).map(([key, ids]) => [key, new Set(ids)])))) found.add(id);
    }
    return found;
  }

  /** Each plan's matches among the candidates, in batches, each batch one call per owner service for every plan. */
  private async run(plans: Plan[], candidates: Candidate[], at: Date): Promise<Candidate[][]> {
    const size = Math.min(this.deps.batchSize ?? SEGMENT_FILTER_BATCH, SEGMENT_FILTER_BATCH);
    const batches: Candidate[][] = [];
    for (let i = 0; i < candidates.length; i += size) batches.push(candidates.slice(i, i + size));
    const matched = await mapLimit(batches, CONCURRENT_BATCHES, (batch) => this.evaluateBatch(plans, batch, at));
    return plans.map((_plan, p) => matched.flatMap((batch) => batch[p] ?? []));
  }

  /**
   * Every link to a member id (or to one of `memberIds`), by member id, blocked when the user's latest
   * follow/unfollow says so.
   */
  private async candidates(memberIds?: readonly string[]): Promise<Candidate[]> {
    const linksRead = this.deps.links
      .find(memberIds ? { memberId: { $in: [...memberIds] } } : {}, { _id: 1, memberId: 1, friendStatus: 1, linkedAt: 1 })
      .lean<Pick<LineLinkDoc, '_id' | 'memberId' | 'friendStatus' | 'linkedAt'>[]>()
      .exec();
    // line_users is the truth on friend status (written with the event's timestamp); a link's copy can trail it
    const usersOf = (filter: object) => this.deps.users.find(filter, { _id: 1, friendStatus: 1 }).lean<{ _id: string; friendStatus: 'FRIEND' | 'BLOCKED' }[]>().exec();
    const [links, users] = await Promise.all([
      linksRead,
      // everyone: both reads at once; named members: only their users
      memberIds ? linksRead.then((found) => usersOf({ _id: { $in: found.map((link) => link._id) } })) : usersOf({}),
    ]);
    const statusOf = new Map(users.map((user) => [user._id, user.friendStatus]));
    return links
      .filter((link) => CANONICAL_OBJECT_ID.test(link.memberId))
      .map((link) => ({
        memberId: link.memberId,
        lineUserId: link._id,
        blocked: (statusOf.get(link._id) ?? link.friendStatus) === 'BLOCKED',
        linkedAt: link.linkedAt,
      }))
      .sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  }

  private async evaluateBatch(plans: Plan[], batch: Candidate[], at: Date): Promise<Candidate[][]> {
    const memberIds = batch.map((c) => c.memberId);
    const answers = new Map<string, Set<string>>();
    const calls: Promise<void>[] = [];
    for (const [owner, leaves] of leavesByOwner(...plans)) {
      if (owner === 'line') {
        for (const leaf of leaves) answers.set(leaf.key, this.answerLocally(leaf.condition as LineCondition, batch));
        continue;
      }
      calls.push(
        this.ask(owner, memberIds, leaves, at).then((matches) => {
          for (const leaf of leaves) answers.set(leaf.key, new Set(matches[leaf.key] ?? []));
        }),
      );
    }
    await Promise.all(calls);
    return plans.map((plan) => {
      const matched = combine(plan, memberIds, answers);
      return batch.filter((c) => matched.has(c.memberId));
    });
  }

  private answerLocally(condition: LineCondition, batch: Candidate[]): Set<string> {
    return new Set(batch.filter((c) => c.blocked === (condition.status === 'BLOCKED')).map((c) => c.memberId));
  }

  private async ask(target: SegmentFilterTarget, memberIds: string[], leaves: PlannedLeaf[], at: Date): Promise<Record<string, string[]>> {
    const caller = { directory: this.deps.services, internalSecret: this.deps.internalSecret, service: 'line' };
    // each owner is sent the leaves planned for it, typed by its own contract's conditions
    const request = <C>(conditions: { key: string; condition: C }[]) => ({ at, memberIds, conditions });
    const answer =
      target === 'members'
        ? internalClient(membersContract, caller).segmentFilter(request(leaves.flatMap((l) => (l.owner === 'members' ? [{ key: l.key, condition: l.condition }] : []))))
        : target === 'points'
          ? internalClient(pointsContract, caller).segmentFilter(request(leaves.flatMap((l) => (l.owner === 'points' ? [{ key: l.key, condition: l.condition }] : []))))
          : internalClient(purchasesContract, caller).segmentFilter(request(leaves.flatMap((l) => (l.owner === 'purchases' ? [{ key: l.key, condition: l.condition }] : []))));
    return (await answer).matches;
  }
}
