import type { MembersCondition, PointsCondition, PurchasesCondition, SegmentFilterTarget } from '@omo/lib/contracts/segment-filter';
import { DAY_MS, jstMonthOf } from '@omo/lib/core/time';
import { resolveWindow, type SegmentNode } from './segment-definition';

/** A condition the line service answers itself, from the candidates it already holds. */
export type LineCondition = { kind: 'lineFriendStatus'; status: 'FRIEND' | 'BLOCKED' };

export type PlannedLeaf =
  | { key: string; owner: 'members'; condition: MembersCondition }
  | { key: string; owner: 'points'; condition: PointsCondition }
  | { key: string; owner: 'purchases'; condition: PurchasesCondition }
  | { key: string; owner: 'line'; condition: LineCondition };

/** The definition with each leaf given a key and its owner's wire condition (lib/contracts/segment-filter.ts), dates absolute. */
export type Plan =
  | { op: 'and' | 'or'; children: Plan[] }
  | { op: 'not'; child: Plan }
  | { op: 'leaf'; leaf: PlannedLeaf };

type Unkeyed = PlannedLeaf extends infer L ? (L extends PlannedLeaf ? Omit<L, 'key'> : never) : never;

function leafOf(node: SegmentNode, at: Date): Unkeyed {
  if ('tier' in node) return { owner: 'points', condition: { kind: 'tier', in: node.tier } };
  if ('pointBalance' in node) return { owner: 'points', condition: { kind: 'pointBalance', ...node.pointBalance } };
  if ('pointsExpiring' in node) {
    const { withinDays, minPoints } = node.pointsExpiring;
    return { owner: 'points', condition: { kind: 'pointsExpiring', until: new Date(at.getTime() + withinDays * DAY_MS), minPoints } };
  }
  if ('registeredVia' in node) return { owner: 'members', condition: { kind: 'registeredVia', in: [node.registeredVia] } };
  if ('registered' in node) return { owner: 'members', condition: { kind: 'registered', period: resolveWindow(node.registered, at) } };
  if ('tags' in node) return { owner: 'members', condition: { kind: 'tags', ...node.tags } };
  if ('lastPurchase' in node) return { owner: 'purchases', condition: { kind: 'lastPurchase', period: resolveWindow(node.lastPurchase, at) } };
  if ('purchaseCount' in node) {
    const { window, count } = node.purchaseCount;
    return { owner: 'purchases', condition: { kind: 'purchaseCount', period: resolveWindow(window, at), ...count } };
  }
  if ('spend' in node) {
    const { window, amount } = node.spend;
    return { owner: 'purchases', condition: { kind: 'spend', period: resolveWindow(window, at), ...amount } };
  }
  if ('channelUsage' in node) {
    const { usage, window } = node.channelUsage;
    return { owner: 'purchases', condition: { kind: 'channelUsage', usage, period: resolveWindow(window, at) } };
  }
  if ('storesVisited' in node) {
    const { window, ...stores } = node.storesVisited;
    return { owner: 'purchases', condition: { kind: 'storesVisited', ...stores, period: resolveWindow(window, at) } };
  }
  if ('boughtCategory' in node) {
    const { categories, window } = node.boughtCategory;
    return { owner: 'purchases', condition: { kind: 'boughtCategory', categories, period: resolveWindow(window, at) } };
  }
  if ('birthdayMonth' in node) {
    const months = 'months' in node.birthdayMonth ? node.birthdayMonth.months : [jstMonthOf(at).month];
    return { owner: 'members', condition: { kind: 'birthdayMonth', months } };
  }
  if ('lineFriendStatus' in node) return { owner: 'line', condition: { kind: 'lineFriendStatus', status: node.lineFriendStatus } };
  throw new Error(`not a leaf: ${Object.keys(node).join(', ')}`);
}

/** Unlike every other leaf's key, not a prefix and a number, so it never meets one. */
const CONSENT_KEY = 'consent';

/**
 * The members' marketingConsent leaf on its own, evaluated beside a segment for whatever is marketing (a segmented
 * message): never part of a definition, so no saved segment or staff-written tree can leave it out.
 */
export function consentPlan(): Plan {
  return { op: 'leaf', leaf: { key: CONSENT_KEY, owner: 'members', condition: { kind: 'marketingConsent' } } };
}

/**
 * Plans a definition for evaluation at `at`: relative periods become absolute, so every service judges the same
 * instant, and only ACTIVE members can match (the root is ANDed with members' `active`). Without a definition, every
 * ACTIVE member matches. Leaf keys are `prefix` and a number, so plans evaluated together keep their answers apart.
 */
export function planSegment(definition: SegmentNode | null, at: Date, prefix = 'c'): Plan {
  let next = 0;
  const keyed = (leaf: Unkeyed): Plan => ({ op: 'leaf', leaf: { ...leaf, key: `${prefix}${next++}` } });
  const visit = (node: SegmentNode): Plan => {
    if ('and' in node) return { op: 'and', children: node.and.map(visit) };
    if ('or' in node) return { op: 'or', children: node.or.map(visit) };
    if ('not' in node) return { op: 'not', child: visit(node.not) };
    return keyed(leafOf(node, at));
  };
  const active = keyed({ owner: 'members', condition: { kind: 'active' } });
  return { op: 'and', children: definition ? [active, visit(definition)] : [active] };
}

export function leavesOf(plan: Plan): PlannedLeaf[] {
  if (plan.op === 'leaf') return [plan.leaf];
  if (plan.op === 'not') return leavesOf(plan.child);
  return plan.children.flatMap(leavesOf);
}

/** The leaves each owner answers (of one plan or several), for one call per owner and batch. */
export function leavesByOwner(...plans: Plan[]): Map<SegmentFilterTarget | 'line', PlannedLeaf[]> {
  const byOwner = new Map<SegmentFilterTarget | 'line', PlannedLeaf[]>();
  for (const leaf of plans.flatMap(leavesOf)) {
    const leaves = byOwner.get(leaf.owner);
    if (leaves) leaves.push(leaf);
    else byOwner.set(leaf.owner, [leaf]);
  }
  return byOwner;
}

/**
 * The ids of a batch that match the plan, given each leaf's answer (the ids of the batch matching it): AND is the
 * intersection, OR the union, NOT the rest of the batch. A leaf without an answer matches nobody.
 */
export function combine(plan: Plan, batch: readonly string[], answers: ReadonlyMap<string, ReadonlySet<string>>): Set<string> {
  switch (plan.op) {
    case 'leaf':
      return new Set(answers.get(plan.leaf.key) ?? []);
    case 'not': {
      const excluded = combine(plan.child, batch, answers);
      return new Set(batch.filter((id) => !excluded.has(id)));
    }
    case 'and': {
      let result = new Set(batch);
      for (const child of plan.children) {
        if (result.size === 0) break;
        const matched = combine(child, batch, answers);
        result = new Set([...result].filter((id) => matched.has(id)));
      }
      return result;
    }
    case 'or': {
      const result = new Set<string>();
      for (const child of plan.children) for (const id of combine(child, batch, answers)) result.add(id);
      return result;
    }
  }
}
