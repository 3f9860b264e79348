import { isDeepStrictEqual } from 'node:util';
import type { Model } from 'mongoose';
import { requireAdmin, type Caller } from '@omo/lib/core/auth';
import { insertOnce } from '@omo/lib/core/claims';
import type { FieldChange } from '../models/rule-change.schema';

/**
 * Every rule (the points policy, store rates, campaigns) is an append-only series of revisions under a unique
 * (rule, revision) index, like the points ledger: a change reads the head revision, computes the next one and
 * inserts it; a clash means another change got there first, so it is recomputed on top. Each revision carries its
 * own audit record (who, when, which fields, before and after), so one insert both changes the rule and audits it:
 * no transaction, no window where one exists without the other.
 */

/** Each round of a clash on the revision index, one writer wins: enough for any realistic number of staff at once. */
const MAX_REVISION_ATTEMPTS = 20;

/** What a revision step answers when its insert lost the race for the next revision number. */
export const CLASHED = Symbol('clashed');

/** Rules, campaigns, tiers and the policy are changed by administrators only; the audit names them. */
export function adminActor(caller: Caller): string {
  return `staff:${requireAdmin(caller).staffId}`;
}

export function pick<T extends object, K extends keyof T>(source: T, fields: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const field of fields) picked[field] = source[field];
  return picked;
}

/** The audit's field changes from one revision to the next (every field, for a rule's first revision). */
export function diff<T extends object>(before: T | null, after: T, fields: readonly (keyof T & string)[]): FieldChange[] {
  return fields
    .filter((field) => !before || !isDeepStrictEqual(before[field], after[field]))
    .map((field) => ({ field, before: before ? before[field] : null, after: after[field] }));
}

/** Inserts a rule's next revision: `answer` when it went in, CLASHED when another change took its number first. */
export async function insertRevision<T, A>(model: Model<T>, revision: T, answer: A): Promise<A | typeof CLASHED> {
  return (await insertOnce(model, revision)) ? answer : CLASHED;
}

/** Runs a read-compute-insert step again when its insert lost the race for the next revision number. */
export async function retryOnClash<T>(step: () => Promise<T | typeof CLASHED>): Promise<T> {
  for (let attempt = 1; attempt <= MAX_REVISION_ATTEMPTS; attempt += 1) {
    const answer = await step();
    if (answer !== CLASHED) return answer;
  }
  throw new Error('Too many concurrent changes to the same rule');
}

/** Keeps the documents that are the highest revision of their rule, given every (key, revision) of those rules. */
export function headsOnly<T>(candidates: T[], revisions: { key: string; revision: number }[], keyOf: (doc: T) => string, revisionOf: (doc: T) => number): T[] {
  const highest = new Map<string, number>();
  for (const { key, revision } of revisions) highest.set(key, Math.max(highest.get(key) ?? 0, revision));
  return candidates.filter((doc) => highest.get(keyOf(doc)) === revisionOf(doc));
}
