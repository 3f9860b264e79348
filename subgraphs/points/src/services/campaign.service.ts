import { Types } from 'mongoose';
import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import type { CampaignDoc, CampaignFields, CampaignKind, CampaignModel } from '../models/campaign.model';
import { CHANNELS, TIERS, type Channel, type Tier } from '../models/points-policy.model';
import type { RuleAction } from '../models/rule-change.schema';
import { MAX_YEN, assertFuture, assertWindow, isGiven, objectIdString, oneOf, uniqueList, validDate, wholeNumber } from './rule-inputs';
import { adminActor, diff, headsOnly, insertRevision, pick, retryOnClash } from './rule-revisions';

export interface CreateCampaignInput {
  name: string;
  kind: CampaignKind;
  multiplierPercent?: number | null;
  bonusPoints?: number | null;
  minAmount?: number | null;
  storeIds?: readonly string[] | null;
  channels?: readonly Channel[] | null;
  tiers?: readonly Tier[] | null;
  startsAt: Date;
  endsAt: Date;
}

export type UpdateCampaignInput = { [K in Exclude<keyof CreateCampaignInput, 'kind'>]?: CreateCampaignInput[K] | null };

const CAMPAIGN_FIELDS = [
  'name',
  'kind',
  'multiplierPercent',
  'bonusPoints',
  'minAmount',
  'storeIds',
  'channels',
  'tiers',
  'startsAt',
  'endsAt',
] as const satisfies readonly (keyof CampaignFields)[];

const MAX_SCOPE_ITEMS = 1000;

function byStartThenId(a: CampaignDoc, b: CampaignDoc): number {
  return a.startsAt.getTime() - b.startsAt.getTime() || a.campaignId.toHexString().localeCompare(b.campaignId.toHexString());
}

function campaignName(value: unknown): string {
  const name = typeof value === 'string' ? value.normalize('NFKC').trim() : '';
  if (name.length < 1 || name.length > 100) throw new BadUserInputError('name must be 1-100 characters', { field: 'name' });
  return name;
}

const storeIdList = (values: unknown) => uniqueList(values, 'storeIds', MAX_SCOPE_ITEMS, (v) => objectIdString(v, 'storeIds'));
const channelList = (values: unknown) => uniqueList(values, 'channels', CHANNELS.length, (v) => oneOf(v, CHANNELS, 'channels'));
const tierList = (values: unknown) => uniqueList(values, 'tiers', TIERS.length, (v) => oneOf(v, TIERS, 'tiers'));
const multiplier = (value: unknown) => wholeNumber(value, 'multiplierPercent', 101, 10_000);
const bonus = (value: unknown) => wholeNumber(value, 'bonusPoints', 1, 1_000_000);
const minAmount = (value: unknown) => wholeNumber(value, 'minAmount', 0, MAX_YEN);

/** The kind-specific fields of a campaign: each kind has its own, and only its own. */
function kindFields(kind: CampaignKind, multiplierPercent: unknown, bonusPoints: unknown): Pick<CampaignFields, 'multiplierPercent' | 'bonusPoints'> {
  if (kind === 'MULTIPLIER') {
    if (isGiven(bonusPoints)) throw new BadUserInputError('bonusPoints is for FIXED_BONUS campaigns only', { field: 'bonusPoints' });
    return { multiplierPercent: multiplier(multiplierPercent), bonusPoints: null };
  }
  if (isGiven(multiplierPercent)) throw new BadUserInputError('multiplierPercent is for MULTIPLIER campaigns only', { field: 'multiplierPercent' });
  return { multiplierPercent: null, bonusPoints: bonus(bonusPoints) };
}

/** Campaigns: revisions under the unique (campaignId, revision), each with its audit record (rule-revisions.ts). */
export class CampaignService {
  constructor(
    private readonly campaigns: CampaignModel,
    private readonly clock: () => Date,
  ) {}

  /**
   * Campaigns whose window contains `at` (start inclusive, end exclusive), in two queries whatever their number;
   * with `madeBy`, as they stood then (revisions made later, and campaigns created later, do not count).
   */
  async activeCampaigns(at: Date, madeBy?: Date): Promise<CampaignDoc[]> {
    const known = madeBy ? { 'change.at': { $lte: madeBy } } : {};
    // A revision whose window contains `at` counts only if no later (known) revision of its campaign replaced it.
    const candidates = await this.campaigns.find({ startsAt: { $lte: at }, endsAt: { $gt: at }, ...known }).lean<CampaignDoc[]>();
    if (!candidates.length) return [];
    const ids = [...new Map(candidates.map((c) => [c.campaignId.toHexString(), c.campaignId])).values()];
    const revisions = await this.campaigns
      .find({ campaignId: { $in: ids }, ...known }, { campaignId: 1, revision: 1 })
      .lean<Pick<CampaignDoc, 'campaignId' | 'revision'>[]>();
    return headsOnly(
      candidates,
      revisions.map((r) => ({ key: r.campaignId.toHexString(), revision: r.revision })),
      (c) => c.campaignId.toHexString(),
      (c) => c.revision,
    ).sort(byStartThenId);
  }

  /** Staff: campaigns active at `activeAt` (default now), or every campaign when `all` is set without a moment. */
  async list(caller: Caller, options: { activeAt?: Date | null; all?: boolean | null }): Promise<CampaignDoc[]> {
    requireStaff(caller);
    if (options.all && !options.activeAt) return this.allCampaigns();
    return this.activeCampaigns(options.activeAt ? validDate(options.activeAt, 'activeAt') : this.clock());
  }

  async createCampaign(caller: Caller, input: CreateCampaignInput): Promise<CampaignDoc> {
    const actor = adminActor(caller);
    const now = this.clock();
    const kind = oneOf(input.kind, ['MULTIPLIER', 'FIXED_BONUS'] as const, 'kind');
    const fields: CampaignFields = {
      name: campaignName(input.name),
      kind,
      ...kindFields(kind, input.multiplierPercent, input.bonusPoints),
      minAmount: minAmount(input.minAmount ?? 0),
      storeIds: storeIdList(input.storeIds ?? []),
      channels: channelList(input.channels ?? []),
      tiers: tierList(input.tiers ?? []),
      startsAt: validDate(input.startsAt, 'startsAt'),
      endsAt: validDate(input.endsAt, 'endsAt'),
    };
    assertWindow(fields.startsAt, fields.endsAt);
    assertFuture(fields.endsAt, now);
    // a new campaignId: revision 1 cannot clash
    const created = await this.campaigns.create({
      campaignId: new Types.ObjectId(),
      revision: 1,
      ...fields,
      createdAt: now,
      change: { actor, at: now, action: 'CREATE_CAMPAIGN', changes: diff(null, fields, CAMPAIGN_FIELDS) },
    });
    return created.toObject();
  }

  /** Staff: omitted (or null) fields stay as they are; a campaign that is over cannot change. */
  async updateCampaign(caller: Caller, id: string, input: UpdateCampaignInput): Promise<CampaignDoc> {
    const actor = adminActor(caller);
    const campaignId = objectIdString(id, 'id');
    const patch: Partial<CampaignFields> = {};
    if (isGiven(input.name)) patch.name = campaignName(input.name);
    if (isGiven(input.multiplierPercent)) patch.multiplierPercent = multiplier(input.multiplierPercent);
    if (isGiven(input.bonusPoints)) patch.bonusPoints = bonus(input.bonusPoints);
    if (isGiven(input.minAmount)) patch.minAmount = minAmount(input.minAmount);
    if (isGiven(input.storeIds)) patch.storeIds = storeIdList(input.storeIds);
    if (isGiven(input.channels)) patch.channels = channelList(input.channels);
    if (isGiven(input.tiers)) patch.tiers = tierList(input.tiers);
    if (isGiven(input.startsAt)) patch.startsAt = validDate(input.startsAt, 'startsAt');
    if (isGiven(input.endsAt)) patch.endsAt = validDate(input.endsAt, 'endsAt');

    return retryOnClash(async () => {
      const head = await this.campaignHead(campaignId);
      const now = this.clock();
      if (head.endsAt.getTime() <= now.getTime()) throw new BadUserInputError('This campaign is over; create a new one', { field: 'id' });
      const before = pick(head, CAMPAIGN_FIELDS);
      const after: CampaignFields = {
        ...before,
        ...patch,
        ...kindFields(head.kind, patch.multiplierPercent ?? before.multiplierPercent, patch.bonusPoints ?? before.bonusPoints),
      };
      assertWindow(after.startsAt, after.endsAt);
      if (patch.endsAt) assertFuture(after.endsAt, now);
      return this.appendCampaign(head, after, actor, 'UPDATE_CAMPAIGN', now);
    });
  }

  /** Staff: ends a campaign now; one that is already over is returned unchanged, one not started yet never starts. */
  async endCampaign(caller: Caller, id: string): Promise<CampaignDoc> {
    const actor = adminActor(caller);
    const campaignId = objectIdString(id, 'id');
    return retryOnClash(async () => {
      const head = await this.campaignHead(campaignId);
      const now = this.clock();
      if (head.endsAt.getTime() <= now.getTime()) return head;
      const startsAt = head.startsAt.getTime() > now.getTime() ? now : head.startsAt;
      return this.appendCampaign(head, { ...pick(head, CAMPAIGN_FIELDS), startsAt, endsAt: now }, actor, 'END_CAMPAIGN', now);
    });
  }

  private async allCampaigns(): Promise<CampaignDoc[]> {
    const revisions = await this.campaigns.find().lean<CampaignDoc[]>();
    const heads = new Map<string, CampaignDoc>();
    for (const doc of revisions) {
      const key = doc.campaignId.toHexString();
      if ((heads.get(key)?.revision ?? 0) < doc.revision) heads.set(key, doc);
    }
    return [...heads.values()].sort(byStartThenId);
  }

  private async campaignHead(campaignId: string): Promise<CampaignDoc> {
    const head = await this.campaigns
      .findOne({ campaignId: new Types.ObjectId(campaignId) })
      .sort({ revision: -1 })
      .lean<CampaignDoc>();
    if (!head) throw new NotFoundError('Campaign');
    return head;
  }

  private async appendCampaign(head: CampaignDoc, after: CampaignFields, actor: string, action: RuleAction, now: Date) {
    const changes = diff(pick(head, CAMPAIGN_FIELDS), after, CAMPAIGN_FIELDS);
    if (!changes.length) return head;
    const revision: CampaignDoc = {
      _id: new Types.ObjectId(),
      campaignId: head.campaignId,
      revision: head.revision + 1,
      ...after,
      createdAt: head.createdAt,
      change: { actor, at: now, action, changes },
    };
    return insertRevision(this.campaigns, revision, revision);
  }
}
