import { Types } from 'mongoose';
import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { ITEM_RULE_ACTIONS, type ItemRuleAction, type ItemRuleDoc, type ItemRuleFields, type ItemRuleModel } from '../models/item-rule.model';
import { CHANNELS, TIERS, type Channel, type Tier } from '../models/points-policy.model';
import type { RuleAction } from '../models/rule-change.schema';
import { MAX_MATCH_ITEMS, categoryList, matchText } from './item-rule-match';
import { assertFuture, assertWindow, isGiven, objectIdString, oneOf, uniqueList, validDate, wholeNumber } from './rule-inputs';
import { type CLASHED, adminActor, diff, headsOnly, insertRevision, pick, retryOnClash } from './rule-revisions';

export interface CreateItemRuleInput {
  name: string;
  action: ItemRuleAction;
  multiplierPercent?: number | null;
  bonusPointsPerUnit?: number | null;
  categories?: readonly string[] | null;
  skus?: readonly string[] | null;
  storeIds?: readonly string[] | null;
  channels?: readonly Channel[] | null;
  tiers?: readonly Tier[] | null;
  startsAt: Date;
  endsAt: Date;
}

export type UpdateItemRuleInput = { [K in Exclude<keyof CreateItemRuleInput, 'action'>]?: CreateItemRuleInput[K] | null };

const ITEM_RULE_FIELDS = [
  'name',
  'action',
  'multiplierPercent',
  'bonusPointsPerUnit',
  'categories',
  'skus',
  'storeIds',
  'channels',
  'tiers',
  'startsAt',
  'endsAt',
] as const satisfies readonly (keyof ItemRuleFields)[];

const MAX_SCOPE_ITEMS = 1000;

function byStartThenId(a: ItemRuleDoc, b: ItemRuleDoc): number {
  return a.startsAt.getTime() - b.startsAt.getTime() || a.itemRuleId.toHexString().localeCompare(b.itemRuleId.toHexString());
}

function ruleName(value: unknown): string {
  const name = typeof value === 'string' ? value.normalize('NFKC').trim() : '';
  if (name.length < 1 || name.length > 100) throw new BadUserInputError('name must be 1-100 characters', { field: 'name' });
  return name;
}

const skuList = (values: unknown) => uniqueList(values, 'skus', MAX_MATCH_ITEMS, (v) => matchText(v, 'skus', 64));
const storeIdList = (values: unknown) => uniqueList(values, 'storeIds', MAX_SCOPE_ITEMS, (v) => objectIdString(v, 'storeIds'));
const channelList = (values: unknown) => uniqueList(values, 'channels', CHANNELS.length, (v) => oneOf(v, CHANNELS, 'channels'));
const tierList = (values: unknown) => uniqueList(values, 'tiers', TIERS.length, (v) => oneOf(v, TIERS, 'tiers'));
const multiplier = (value: unknown) => wholeNumber(value, 'multiplierPercent', 101, 10_000);
const bonus = (value: unknown) => wholeNumber(value, 'bonusPointsPerUnit', 1, 100_000);

/** The action's own field, and only its own. */
function actionFields(action: ItemRuleAction, multiplierPercent: unknown, bonusPointsPerUnit: unknown): Pick<ItemRuleFields, 'multiplierPercent' | 'bonusPointsPerUnit'> {
  if (action !== 'FIXED_BONUS' && isGiven(bonusPointsPerUnit)) throw new BadUserInputError('bonusPointsPerUnit is for FIXED_BONUS rules only', { field: 'bonusPointsPerUnit' });
  if (action !== 'MULTIPLIER' && isGiven(multiplierPercent)) throw new BadUserInputError('multiplierPercent is for MULTIPLIER rules only', { field: 'multiplierPercent' });
  if (action === 'MULTIPLIER') return { multiplierPercent: multiplier(multiplierPercent), bonusPointsPerUnit: null };
  if (action === 'FIXED_BONUS') return { multiplierPercent: null, bonusPointsPerUnit: bonus(bonusPointsPerUnit) };
  return { multiplierPercent: null, bonusPointsPerUnit: null };
}

function assertMatchesSomething(fields: Pick<ItemRuleFields, 'categories' | 'skus'>): void {
  if (!fields.categories.length && !fields.skus.length) throw new BadUserInputError('An item rule needs categories or skus to match', { field: 'categories' });
}

/** Item rules: revisions under the unique (itemRuleId, revision), each with its audit record (rule-revisions.ts). */
export class ItemRuleService {
  constructor(
    private readonly rules: ItemRuleModel,
    private readonly clock: () => Date,
  ) {}

  /** Rules whose window contains `at`; with `madeBy`, as they stood then (later revisions and rules do not count). */
  async activeItemRules(at: Date, madeBy?: Date): Promise<ItemRuleDoc[]> {
    const known = madeBy ? { 'change.at': { $lte: madeBy } } : {};
    // a revision whose window contains `at` counts only if no later (known) revision of its rule replaced it
    const candidates = await this.rules.find({ startsAt: { $lte: at }, endsAt: { $gt: at }, ...known }).lean<ItemRuleDoc[]>();
    if (!candidates.length) return [];
    const ids = [...new Map(candidates.map((r) => [r.itemRuleId.toHexString(), r.itemRuleId])).values()];
    const revisions = await this.rules.find({ itemRuleId: { $in: ids }, ...known }, { itemRuleId: 1, revision: 1 }).lean<Pick<ItemRuleDoc, 'itemRuleId' | 'revision'>[]>();
    return headsOnly(
      candidates,
      revisions.map((r) => ({ key: r.itemRuleId.toHexString(), revision: r.revision })),
      (r) => r.itemRuleId.toHexString(),
      (r) => r.revision,
    ).sort(byStartThenId);
  }

  /** Staff: rules active at `activeAt` (default now), or every rule when `all` is set without a moment. */
  async list(caller: Caller, options: { activeAt?: Date | null; all?: boolean | null }): Promise<ItemRuleDoc[]> {
    requireStaff(caller);
    if (options.all && !options.activeAt) return this.allRules();
    return this.activeItemRules(options.activeAt ? validDate(options.activeAt, 'activeAt') : this.clock());
  }

  async create(caller: Caller, input: CreateItemRuleInput): Promise<ItemRuleDoc> {
    const actor = adminActor(caller);
    const now = this.clock();
    const action = oneOf(input.action, ITEM_RULE_ACTIONS, 'action');
    const fields: ItemRuleFields = {
      name: ruleName(input.name),
      action,
      ...actionFields(action, input.multiplierPercent, input.bonusPointsPerUnit),
      categories: categoryList(input.categories ?? []),
      skus: skuList(input.skus ?? []),
      storeIds: storeIdList(input.storeIds ?? []),
      channels: channelList(input.channels ?? []),
      tiers: tierList(input.tiers ?? []),
      startsAt: validDate(input.startsAt, 'startsAt'),
      endsAt: validDate(input.endsAt, 'endsAt'),
    };
    assertMatchesSomething(fields);
    assertWindow(fields.startsAt, fields.endsAt);
    assertFuture(fields.endsAt, now);
    // a new itemRuleId: revision 1 cannot clash
    const created = await this.rules.create({
      itemRuleId: new Types.ObjectId(),
      revision: 1,
      ...fields,
      createdAt: now,
      change: { actor, at: now, action: 'CREATE_ITEM_RULE', changes: diff(null, fields, ITEM_RULE_FIELDS) },
    });
    return created.toObject();
  }

  /** Omitted (or null) fields stay as they are; a rule that is over cannot change. */
  async update(caller: Caller, id: string, input: UpdateItemRuleInput): Promise<ItemRuleDoc> {
    const actor = adminActor(caller);
    const itemRuleId = objectIdString(id, 'id');
    const patch: Partial<ItemRuleFields> = {};
    if (isGiven(input.name)) patch.name = ruleName(input.name);
    if (isGiven(input.categories)) patch.categories = categoryList(input.categories);
    if (isGiven(input.skus)) patch.skus = skuList(input.skus);
    if (isGiven(input.storeIds)) patch.storeIds = storeIdList(input.storeIds);
    if (isGiven(input.channels)) patch.channels = channelList(input.channels);
    if (isGiven(input.tiers)) patch.tiers = tierList(input.tiers);
    if (isGiven(input.startsAt)) patch.startsAt = validDate(input.startsAt, 'startsAt');
    if (isGiven(input.endsAt)) patch.endsAt = validDate(input.endsAt, 'endsAt');

    return retryOnClash(async () => {
      const head = await this.head(itemRuleId);
      const now = this.clock();
      if (head.endsAt.getTime() <= now.getTime()) throw new BadUserInputError('This item rule is over; create a new one', { field: 'id' });
      const before = pick(head, ITEM_RULE_FIELDS);
      const after: ItemRuleFields = {
        ...before,
        ...patch,
        ...actionFields(head.action, input.multiplierPercent ?? before.multiplierPercent, input.bonusPointsPerUnit ?? before.bonusPointsPerUnit),
      };
      assertMatchesSomething(after);
      assertWindow(after.startsAt, after.endsAt);
      if (patch.endsAt) assertFuture(after.endsAt, now);
      return this.append(head, after, actor, 'UPDATE_ITEM_RULE', now);
    });
  }

  /** Ends a rule now; one already over is returned unchanged, one not started yet never starts. */
  async end(caller: Caller, id: string): Promise<ItemRuleDoc> {
    const actor = adminActor(caller);
    const itemRuleId = objectIdString(id, 'id');
    return retryOnClash(async () => {
      const head = await this.head(itemRuleId);
      const now = this.clock();
      if (head.endsAt.getTime() <= now.getTime()) return head;
      const startsAt = head.startsAt.getTime() > now.getTime() ? now : head.startsAt;
      return this.append(head, { ...pick(head, ITEM_RULE_FIELDS), startsAt, endsAt: now }, actor, 'END_ITEM_RULE', now);
    });
  }

  private async allRules(): Promise<ItemRuleDoc[]> {
    const revisions = await this.rules.find().lean<ItemRuleDoc[]>();
    const heads = new Map<string, ItemRuleDoc>();
    for (const doc of revisions) {
      const key = doc.itemRuleId.toHexString();
      if ((heads.get(key)?.revision ?? 0) < doc.revision) heads.set(key, doc);
    }
    return [...heads.values()].sort(byStartThenId);
  }

  private async head(itemRuleId: string): Promise<ItemRuleDoc> {
    const head = await this.rules.findOne({ itemRuleId: new Types.ObjectId(itemRuleId) }).sort({ revision: -1 }).lean<ItemRuleDoc>();
    if (!head) throw new NotFoundError('Item rule');
    return head;
  }

  private async append(head: ItemRuleDoc, after: ItemRuleFields, actor: string, action: RuleAction, now: Date): Promise<ItemRuleDoc | typeof CLASHED> {
    const changes = diff(pick(head, ITEM_RULE_FIELDS), after, ITEM_RULE_FIELDS);
    if (!changes.length) return head;
    const revision: ItemRuleDoc = {
      _id: new Types.ObjectId(),
      itemRuleId: head.itemRuleId,
      revision: head.revision + 1,
      ...after,
      createdAt: head.createdAt,
      change: { actor, at: now, action, changes },
    };
    return insertRevision(this.rules, revision, revision);
  }
}
