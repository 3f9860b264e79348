import { Types, type Model } from 'mongoose';
import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { isObjectId } from '@omo/lib/core/validation';
import { CHANNELS, TIERS, type Channel, type Tier } from '../models/points-policy.model';
import type { RuleAction } from '../models/rule-change.schema';
import type { RuleRevision, RuleScope } from '../models/scoped-rule.schema';
import { assertFuture, assertWindow, isGiven, objectIdString, oneOf, uniqueList, validDate } from './rule-inputs';
import { adminActor, diff, headsOnly, insertRevision, pick, retryOnClash } from './rule-revisions';

/** A scoped rule's scope as staff send it: omitted lists are empty (all stores, channels, tiers). */
export interface RuleScopeInput {
  name: string;
  storeIds?: readonly string[] | null;
  channels?: readonly Channel[] | null;
  tiers?: readonly Tier[] | null;
  startsAt: Date;
  endsAt: Date;
}

type RuleScopePatch = { [K in keyof RuleScopeInput]?: RuleScopeInput[K] | null };

const MAX_SCOPE_ITEMS = 1000;

export function ruleName(value: unknown): string {
  const name = typeof value === 'string' ? value.normalize('NFKC').trim() : '';
  if (name.length < 1 || name.length > 100) throw new BadUserInputError('name must be 1-100 characters', { field: 'name' });
  return name;
}

const storeIdList = (values: unknown) => uniqueList(values, 'storeIds', MAX_SCOPE_ITEMS, (v) => objectIdString(v, 'storeIds'));
const channelList = (values: unknown) => uniqueList(values, 'channels', CHANNELS.length, (v) => oneOf(v, CHANNELS, 'channels'));
const tierList = (values: unknown) => uniqueList(values, 'tiers', TIERS.length, (v) => oneOf(v, TIERS, 'tiers'));

/** A new rule's stores, channels, tiers and window, checked in that order (its name is checked before what it does). */
export function ruleScope(input: RuleScopeInput): Omit<RuleScope, 'name'> {
  return {
    storeIds: storeIdList(input.storeIds ?? []),
    channels: channelList(input.channels ?? []),
    tiers: tierList(input.tiers ?? []),
    startsAt: validDate(input.startsAt, 'startsAt'),
    endsAt: validDate(input.endsAt, 'endsAt'),
  };
}

/** The scope fields a change gives (omitted or null: they stay as they are), checked as ruleScope checks them. */
export function ruleScopePatch(input: RuleScopePatch): Partial<Omit<RuleScope, 'name'>> {
  const patch: Partial<Omit<RuleScope, 'name'>> = {};
  if (isGiven(input.storeIds)) patch.storeIds = storeIdList(input.storeIds);
  if (isGiven(input.channels)) patch.channels = channelList(input.channels);
  if (isGiven(input.tiers)) patch.tiers = tierList(input.tiers);
  if (isGiven(input.startsAt)) patch.startsAt = validDate(input.startsAt, 'startsAt');
  if (isGiven(input.endsAt)) patch.endsAt = validDate(input.endsAt, 'endsAt');
  return patch;
}

/** What tells one kind of scoped rule from another to the revisions they share. */
export interface ScopedRuleKind<F extends RuleScope, K extends string> {
  /** The field naming the rule all its revisions belong to. */
  idField: K;
  /** Every field staff set, in the order the audit lists them. */
  fields: readonly (keyof F & string)[];
  /** The NOT_FOUND name of a rule of this kind. */
  label: string;
  /** Why a rule that is over cannot change. */
  overMessage: string;
  actions: { create: RuleAction; update: RuleAction; end: RuleAction };
  /** What a rule of this kind must be beyond its window, checked before it (on create and on every change). */
  check?: (fields: F) => void;
}

/**
 * The revisions of one kind of scoped rule (campaigns, item rules): each change reads the head, computes the next
 * revision with its audit record and inserts it under the unique (id, revision) index (rule-revisions.ts); a clash
 * means another change got there first, so it is recomputed on top. ADMIN writes, STAFF reads.
 */
export class ScopedRules<F extends RuleScope, K extends string, D extends F & RuleRevision & Record<K, Types.ObjectId>> {
  constructor(
    private readonly model: Model<D>,
    private readonly clock: () => Date,
    private readonly kind: ScopedRuleKind<F, K>,
  ) {}

  /**
   * Rules whose window contains `at` (start inclusive, end exclusive), in two queries whatever their number; with
   * `madeBy`, as they stood then (revisions made later, and rules created later, do not count).
   */
  async active(at: Date, madeBy?: Date): Promise<D[]> {
    const known = madeBy ? { 'change.at': { $lte: madeBy } } : {};
    // a revision whose window contains `at` counts only if no later (known) revision of its rule replaced it
    const candidates = await this.model.find({ startsAt: { $lte: at }, endsAt: { $gt: at }, ...known }).lean<D[]>();
    if (!candidates.length) return [];
    const ids = [...new Map(candidates.map((r) => [this.key(r), this.idOf(r)])).values()];
    const revisions = await this.model
      .find({ [this.kind.idField]: { $in: ids }, ...known }, { [this.kind.idField]: 1, revision: 1 })
      .lean<Pick<D, K | 'revision'>[]>();
    return headsOnly(
      candidates,
      revisions.map((r) => ({ key: this.key(r), revision: r.revision })),
      (r) => this.key(r),
      (r) => r.revision,
    ).sort((a, b) => this.byStartThenId(a, b));
  }

  /** Staff: rules active at `activeAt` (default now), or every rule when `all` is set without a moment. */
  async list(caller: Caller, options: { activeAt?: Date | null; all?: boolean | null }): Promise<D[]> {
    requireStaff(caller);
    if (options.all && !options.activeAt) return this.all();
    return this.active(options.activeAt ? validDate(options.activeAt, 'activeAt') : this.clock());
  }

  /** `fields` checks the input once the caller is known to be an administrator; a new id cannot clash on revision 1. */
  async create(caller: Caller, fields: () => F): Promise<D> {
    const actor = adminActor(caller);
    const now = this.clock();
    const first = fields();
    this.kind.check?.(first);
    assertWindow(first.startsAt, first.endsAt);
    assertFuture(first.endsAt, now);
    const created = await this.model.create({
      [this.kind.idField]: new Types.ObjectId(),
      revision: 1,
      ...first,
      createdAt: now,
      change: { actor, at: now, action: this.kind.actions.create, changes: diff(null, first, this.kind.fields) },
    });
    return created.toObject();
  }

  /**
   * Omitted (or null) fields stay as they are; a rule that is over cannot change. `patch` checks the fields given,
   * `own` recomputes what the rule does on the head it lands on (its kind or action never changes).
   */
  async update(caller: Caller, id: string, patch: () => Partial<F>, own: (head: D, merged: F) => Partial<F>): Promise<D> {
    const actor = adminActor(caller);
    const ruleId = objectIdString(id, 'id');
    const given = patch();
    return retryOnClash(async () => {
      const head = await this.head(ruleId);
      const now = this.clock();
      if (head.endsAt.getTime() <= now.getTime()) throw new BadUserInputError(this.kind.overMessage, { field: 'id' });
      const merged: F = { ...this.fieldsOf(head), ...given };
      const after: F = { ...merged, ...own(head, merged) };
      this.kind.check?.(after);
      assertWindow(after.startsAt, after.endsAt);
      if (given.endsAt) assertFuture(after.endsAt, now);
      return this.append(head, after, actor, this.kind.actions.update, now);
    });
  }

  /** Ends a rule now; one already over is returned unchanged, one not started yet never starts. */
  async end(caller: Caller, id: string): Promise<D> {
    const actor = adminActor(caller);
    const ruleId = objectIdString(id, 'id');
    return retryOnClash(async () => {
      const head = await this.head(ruleId);
      const now = this.clock();
      if (head.endsAt.getTime() <= now.getTime()) return head;
      const startsAt = head.startsAt.getTime() > now.getTime() ? now : head.startsAt;
      return this.append(head, { ...this.fieldsOf(head), startsAt, endsAt: now }, actor, this.kind.actions.end, now);
    });
  }

  /** Staff: one rule as it stands now (its head revision), null when there is none or the id is not one. */
  async byId(caller: Caller, id: string): Promise<D | null> {
    requireStaff(caller);
    if (!isObjectId(id)) return null;
    return this.model
      .findOne({ [this.kind.idField]: new Types.ObjectId(id) })
      .sort({ revision: -1 })
      .lean<D>();
  }

  private async all(): Promise<D[]> {
    const revisions = await this.model.find().lean<D[]>();
    const heads = new Map<string, D>();
    for (const doc of revisions) {
      const key = this.key(doc);
      if ((heads.get(key)?.revision ?? 0) < doc.revision) heads.set(key, doc);
    }
    return [...heads.values()].sort((a, b) => this.byStartThenId(a, b));
  }

  private async head(ruleId: string): Promise<D> {
    const head = await this.model
      .findOne({ [this.kind.idField]: new Types.ObjectId(ruleId) })
      .sort({ revision: -1 })
      .lean<D>();
    if (!head) throw new NotFoundError(this.kind.label);
    return head;
  }

  private async append(head: D, after: F, actor: string, action: RuleAction, now: Date) {
    const changes = diff(this.fieldsOf(head), after, this.kind.fields);
    if (!changes.length) return head;
    // the id field's name is the kind's, so the literal's type cannot say it is a D
    const revision = {
      _id: new Types.ObjectId(),
      [this.kind.idField]: this.idOf(head),
      revision: head.revision + 1,
      ...after,
      createdAt: head.createdAt,
      change: { actor, at: now, action, changes },
    } as unknown as D;
    return insertRevision(this.model, revision, revision);
  }

  /** What staff set on a revision: `fields` names every field of F. */
  private fieldsOf(doc: D): F {
    return pick<F, keyof F & string>(doc, this.kind.fields) as F;
  }

  private byStartThenId(a: D, b: D): number {
    return a.startsAt.getTime() - b.startsAt.getTime() || this.key(a).localeCompare(this.key(b));
  }

  private idOf(doc: Pick<D, K>): Types.ObjectId {
    return doc[this.kind.idField];
  }

  private key(doc: Pick<D, K>): string {
    return this.idOf(doc).toHexString();
  }
}
