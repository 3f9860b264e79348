import { Types } from 'mongoose';
import { z } from 'zod';
import { actorOf, requireStaff, type Caller } from '@omo/lib/core/auth';
import { insertOnce } from '@omo/lib/core/claims';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { CANONICAL_OBJECT_ID, parseInput } from '@omo/lib/core/validation';
import type { SegmentAction, SegmentModel, SegmentRevisionDoc, SegmentRevisionModel, SegmentState } from './segment.model';
import type { AudienceSpec } from '../delivery/audience';
import { definitionToJson, parseSegmentDefinition, type SegmentNode } from './segment-definition';
import type { SegmentEvaluator } from './segment-evaluator';

/** A segment as the GraphQL Segment type shows it. */
export interface SegmentView extends SegmentState {
  id: string;
}

export interface SegmentPreviewResult {
  memberCount: number;
  reachableCount: number;
  consentedCount: number;
  recipientCount: number;
  sample: { id: string }[];
  evaluatedAt: Date;
}

/** Either a saved segment or a definition given in the request. */
export interface SegmentSpec {
  segmentId?: string | null;
  definition?: unknown;
}

export const PREVIEW_SAMPLE_SIZE = 10;
/** Concurrent edits of one segment: each lost race re-reads and tries again. */
const MAX_ATTEMPTS = 10;

const nameSchema = z.string().trim().min(1, 'must be 1-100 characters').max(100, 'must be 1-100 characters');
const descriptionSchema = z.string().trim().max(1000, 'must be at most 1000 characters').nullable();

/** One input field, with BAD_USER_INPUT naming it. */
function field<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  return parseInput(z.object({ [name]: schema }), { [name]: value })[name] as T;
}

const isSegmentId = (id: string) => CANONICAL_OBJECT_ID.test(id);
const stateOf = ({ _id: _id, segmentId: _segmentId, action: _action, ...state }: SegmentRevisionDoc): SegmentState => state;

/**
 * Saved segments (staff only) and their evaluation. Every change is a new revision carrying who made it, when, and
 * the whole state after it (segment_revisions); `segments` holds the latest for listing.
 */
export class SegmentService {
  constructor(
    private readonly deps: {
      models: { segments: SegmentModel; revisions: SegmentRevisionModel };
      evaluator: SegmentEvaluator;
      clock: () => Date;
    },
  ) {}

  async get(caller: Caller, id: string): Promise<SegmentView | null> {
    requireStaff(caller);
    const current = await this.current(id);
    return current && !current.deletedAt ? current : null;
  }

  /** Most recently changed first. */
  async list(caller: Caller): Promise<SegmentView[]> {
    requireStaff(caller);
    const { segments, revisions } = this.deps.models;
    const snapshots = await segments.find({}).lean<(SegmentState & { _id: string })[]>().exec();
    // one clause per distinct revision, not per segment
    const byRevision = new Map<number, string[]>();
    for (const { _id, revision } of snapshots) {
      const group = byRevision.get(revision);
      if (group) group.push(_id);
      else byRevision.set(revision, [_id]);
    }
    const newer = snapshots.length
      ? await revisions.find({ $or: [...byRevision].map(([revision, ids]) => ({ segmentId: { $in: ids }, revision: { $gt: revision } })) }).lean<SegmentRevisionDoc[]>().exec()
      : [];
    const latest = new Map<string, SegmentView>(snapshots.map(({ _id, ...state }) => [_id, { ...state, id: _id }]));
    for (const revision of newer) {
      if ((latest.get(revision.segmentId)?.revision ?? 0) < revision.revision) latest.set(revision.segmentId, { ...stateOf(revision), id: revision.segmentId });
    }
    return [...latest.values()].filter((s) => !s.deletedAt).sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || a.id.localeCompare(b.id));
  }

  async create(caller: Caller, input: { name: string; description?: string | null; definition: unknown }): Promise<SegmentView> {
    const actor = actorOf(requireStaff(caller));
    const now = this.deps.clock();
    const id = new Types.ObjectId().toHexString();
    const state: SegmentState = {
      name: field(nameSchema, 'name', input.name),
      description: field(descriptionSchema, 'description', input.description ?? null) || null,
      definition: parseSegmentDefinition(input.definition),
      revision: 1,
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      updatedBy: actor,
      deletedAt: null,
      deletedBy: null,
    };
    // the snapshot first: it carries who created the segment and when even if the audit row below is never written
    await this.deps.models.segments.create({ _id: id, ...state });
    await this.deps.models.revisions.create({ _id: `${id}:1`, segmentId: id, action: 'CREATE', ...state });
    return { ...state, id };
  }

  /** Omitted (or null) name and definition stay; description null removes it. */
  async update(caller: Caller, id: string, input: { name?: string | null; description?: string | null; definition?: unknown }): Promise<SegmentView> {
    const actor = actorOf(requireStaff(caller));
    const changes: Partial<SegmentState> = {};
    if (input.name !== undefined && input.name !== null) changes.name = field(nameSchema, 'name', input.name);
    if (input.description !== undefined) changes.description = field(descriptionSchema, 'description', input.description) || null;
    if (input.definition !== undefined && input.definition !== null) changes.definition = parseSegmentDefinition(input.definition);
    return this.change(id, 'UPDATE', (current) => ({ ...current, ...changes, updatedAt: this.deps.clock(), updatedBy: actor }));
  }

  /** False when there is no such segment (or it was deleted already); its revisions stay as the audit trail. */
  async delete(caller: Caller, id: string): Promise<boolean> {
    const actor = actorOf(requireStaff(caller));
    try {
      await this.change(id, 'DELETE', (current) => {
        const now = this.deps.clock();
        return { ...current, updatedAt: now, updatedBy: actor, deletedAt: now, deletedBy: actor };
      });
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  async preview(caller: Caller, spec: SegmentSpec): Promise<SegmentPreviewResult> {
    requireStaff(caller);
    const { at, matches } = await this.deps.evaluator.evaluateForMarketing(await this.definitionFor(spec));
    return {
      memberCount: matches.length,
      reachableCount: matches.filter((c) => !c.blocked).length,
      consentedCount: matches.filter((c) => c.consented).length,
      recipientCount: matches.filter((c) => c.consented && !c.blocked).length,
      sample: matches.slice(0, PREVIEW_SAMPLE_SIZE).map((c) => ({ id: c.memberId })),
      evaluatedAt: at,
    };
  }

  /** The definition of a spec: a saved segment's (NOT_FOUND if it is deleted or unknown) or the one given. */
  async definitionFor(spec: SegmentSpec): Promise<SegmentNode> {
    const hasId = spec.segmentId !== undefined && spec.segmentId !== null;
    const hasDefinition = spec.definition !== undefined && spec.definition !== null;
    if (hasId === hasDefinition) throw new BadUserInputError('Give segmentId or definition, not both', { field: 'segmentId' });
    if (!hasId) return parseSegmentDefinition(spec.definition);
    const segment = await this.current(String(spec.segmentId));
    if (!segment || segment.deletedAt) throw new NotFoundError('Segment');
    return parseSegmentDefinition(segment.definition);
  }

  /**
   * What a delivery stores as its audience, checked now so a mistake is refused when the delivery is asked for:
   * a saved segment by id (evaluated when the delivery starts), or the definition normalised.
   */
  async audienceSpec(spec: SegmentSpec): Promise<AudienceSpec> {
    const definition = await this.definitionFor(spec);
    return spec.segmentId ? { segmentId: spec.segmentId } : { definition: definitionToJson(definition) };
  }

  /** The latest state: the snapshot, or a newer revision when the snapshot trails (a crash between the writes). */
  private async current(id: string): Promise<SegmentView | null> {
    if (!isSegmentId(id)) return null;
    const [snapshot, latest] = await Promise.all([
      this.deps.models.segments.findById(id).lean<SegmentState & { _id: string }>().exec(),
      this.deps.models.revisions.findOne({ segmentId: id }).sort({ revision: -1 }).lean<SegmentRevisionDoc>().exec(),
    ]);
    if (latest && (!snapshot || latest.revision > snapshot.revision)) return { ...stateOf(latest), id };
    if (!snapshot) return null;
    const { _id, ...state } = snapshot;
    return { ...state, id: _id };
  }

  /** Appends the next revision (a unique insert: a lost race re-reads), then brings the snapshot up to it. */
  private async change(id: string, action: SegmentAction, next: (current: SegmentState) => SegmentState): Promise<SegmentView> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.current(id);
      if (!current || current.deletedAt) throw new NotFoundError('Segment');
      const { id: _id, ...state } = current;
      const after: SegmentState = { ...next(state), revision: current.revision + 1 };
      if (!(await insertOnce(this.deps.models.revisions, { _id: `${id}:${after.revision}`, segmentId: id, action, ...after }))) continue;
      await this.deps.models.segments.updateOne({ _id: id, revision: { $lt: after.revision } }, { $set: after }).exec();
      return { ...after, id };
    }
    throw new Error(`Segment ${id} kept changing under ${MAX_ATTEMPTS} attempts`);
  }
}
