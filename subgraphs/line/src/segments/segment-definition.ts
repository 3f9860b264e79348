import { z } from 'zod';
import { BadUserInputError } from '@omo/lib/core/errors';
import { normaliseCategory } from '@omo/lib/contracts/points';
import type { Period } from '@omo/lib/contracts/segment-filter';
import { DAY_MS } from '@omo/lib/core/time';
import { OBJECT_ID } from '@omo/lib/core/validation';

/**
 * A segment definition: the tree of SegmentDefinitionInput (schema.graphql documents every condition), checked
 * and normalised here once, whether it comes from GraphQL, from a saved segment or from a delivery.
 */
export type Tier = 'REGULAR' | 'SILVER' | 'GOLD' | 'PLATINUM';
export type ChannelUsage = 'STORE_ONLY' | 'ONLINE_ONLY' | 'BOTH';

export interface TimeWindow {
  from?: Date;
  fromDaysAgo?: number;
  to?: Date;
  toDaysAgo?: number;
}

export interface IntRange {
  min?: number;
  max?: number;
}

export type SegmentNode =
  | { and: SegmentNode[] }
  | { or: SegmentNode[] }
  | { not: SegmentNode }
  | { tier: Tier[] }
  | { pointBalance: IntRange }
  | { pointsExpiring: { withinDays: number; minPoints: number } }
  | { registeredVia: 'STORE' | 'ONLINE' }
  | { registered: TimeWindow }
  | { tags: { any?: string[]; all?: string[] } }
  | { lastPurchase: TimeWindow }
  | { purchaseCount: { window?: TimeWindow; count: IntRange } }
  | { spend: { window?: TimeWindow; amount: IntRange } }
  | { channelUsage: { usage: ChannelUsage; window?: TimeWindow } }
  | { storesVisited: { storeIds?: string[]; prefecture?: string; city?: string; window?: TimeWindow } }
  | { boughtCategory: { categories: string[]; window?: TimeWindow } }
  | { lineFriendStatus: 'FRIEND' | 'BLOCKED' }
  | { birthdayMonth: BirthdayMonths };

/** Explicit months (1-12), or the month (JST) of the instant the segment is evaluated at. */
export type BirthdayMonths = { months: number[] } | { currentMonth: true };

export const MAX_NODES = 50;
export const MAX_DEPTH = 8;
const MAX_CHILDREN = 20;
const MAX_DAYS = 3650;

const date = z.union([z.date(), z.iso.datetime({ offset: true }).transform((value) => new Date(value))]);
const days = z.number().int().min(0).max(MAX_DAYS);

const timeWindow = z
  .strictObject({ from: date.optional(), fromDaysAgo: days.optional(), to: date.optional(), toDaysAgo: days.optional() })
  .superRefine((w, ctx) => {
    const problem =
      w.from !== undefined && w.fromDaysAgo !== undefined
        ? 'give from or fromDaysAgo, not both'
        : w.to !== undefined && w.toDaysAgo !== undefined
          ? 'give to or toDaysAgo, not both'
          : Object.keys(w).length === 0
            ? 'needs a start or an end'
            : w.from && w.to && w.from.getTime() >= w.to.getTime()
              ? 'from must be before to'
              : w.fromDaysAgo !== undefined && w.toDaysAgo !== undefined && w.fromDaysAgo <= w.toDaysAgo
                ? 'fromDaysAgo must be more days ago than toDaysAgo'
                : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

function intRange(floor: number) {
  return z
    .strictObject({ min: z.number().int().min(floor).optional(), max: z.number().int().min(floor).optional() })
    .refine((r) => r.min !== undefined || r.max !== undefined, 'needs min or max')
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min must be at most max');
}

const tag = z.string().regex(/^[\w:-]{1,40}$/, 'tags are 1-40 letters, digits, -, _ or :');
const tagList = z.array(tag).min(1).max(20);
const place = z.string().trim().min(1).max(50);

/** The leaves, one schema per field of SegmentDefinitionInput. */
const LEAVES = {
  tier: z.array(z.enum(['REGULAR', 'SILVER', 'GOLD', 'PLATINUM'])).min(1).transform((tiers) => [...new Set(tiers)]),
  pointBalance: intRange(-2_147_483_648),
  pointsExpiring: z.strictObject({ withinDays: z.number().int().min(1).max(365), minPoints: z.number().int().min(1).default(1) }),
  registeredVia: z.enum(['STORE', 'ONLINE']),
  registered: timeWindow,
  tags: z.strictObject({ any: tagList.optional(), all: tagList.optional() }).refine((t) => t.any || t.all, 'needs any or all'),
  lastPurchase: timeWindow,
  purchaseCount: z.strictObject({ window: timeWindow.optional(), count: intRange(0) }),
  spend: z.strictObject({ window: timeWindow.optional(), amount: intRange(-2_147_483_648) }),
  channelUsage: z.strictObject({ usage: z.enum(['STORE_ONLY', 'ONLINE_ONLY', 'BOTH']), window: timeWindow.optional() }),
  storesVisited: z
    .strictObject({
      storeIds: z.array(z.string().regex(OBJECT_ID, 'must be store ids').transform((id) => id.toLowerCase())).min(1).max(100).optional(),
      prefecture: place.optional(),
      city: place.optional(),
      window: timeWindow.optional(),
    })
    .refine((s) => (s.storeIds !== undefined) !== (s.prefecture !== undefined || s.city !== undefined), 'give storeIds, or a prefecture and/or city'),
  boughtCategory: z.strictObject({
    categories: z
      .array(z.string().trim().min(1, 'categories are 1-100 characters').max(100, 'categories are 1-100 characters').transform(normaliseCategory))
      .min(1, 'needs 1 to 50 categories')
      .max(50, 'needs 1 to 50 categories')
      .transform((categories) => [...new Set(categories)]),
    window: timeWindow.optional(),
  }),
  lineFriendStatus: z.enum(['FRIEND', 'BLOCKED']),
  birthdayMonth: z
    .strictObject({
      months: z.array(z.number().int().min(1, 'months are 1 to 12').max(12, 'months are 1 to 12')).min(1, 'needs 1 to 12 months').max(12, 'needs 1 to 12 months').optional(),
      // false would read as "not this month", which is `not` over this condition: one way to say each thing
      currentMonth: z.literal(true, 'must be true (for "not this month", put this condition under not)').optional(),
    })
    .refine((b) => (b.months !== undefined) !== (b.currentMonth !== undefined), 'give months or currentMonth, one of them')
    .transform((b): BirthdayMonths => (b.months ? { months: [...new Set(b.months)].sort((x, y) => x - y) } : { currentMonth: true })),
} satisfies Record<string, z.ZodType>;

export type LeafField = keyof typeof LEAVES;
const COMBINATORS = ['and', 'or', 'not'] as const;
const FIELDS: readonly string[] = [...COMBINATORS, ...Object.keys(LEAVES)];

/** GraphQL hands omitted and null input fields alike to us: null means "not set" everywhere in a definition. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

function fail(path: string, message: string): never {
  throw new BadUserInputError(`${path}: ${message}`, { field: path });
}

/**
 * Checks a definition (exactly one field per node, every condition's values, at most MAX_NODES nodes and
 * MAX_DEPTH levels) and returns it normalised: nulls dropped, dates as Date, defaults filled in.
 * BAD_USER_INPUT names the node at fault, e.g. "definition.and.1.pointBalance: min must be at most max".
 */
export function parseSegmentDefinition(raw: unknown, root = 'definition'): SegmentNode {
  let nodes = 0;
  const visit = (value: unknown, path: string, depth: number): SegmentNode => {
    nodes += 1;
    if (nodes > MAX_NODES) fail(root, `at most ${MAX_NODES} nodes`);
    if (depth > MAX_DEPTH) fail(path, `at most ${MAX_DEPTH} levels`);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
    const entries: [string, unknown][] = Object.entries(value);
    const unknownField = entries.find(([key]) => !FIELDS.includes(key));
    if (unknownField) fail(`${path}.${unknownField[0]}`, 'is not a condition');
    const [entry, ...others] = entries;
    if (!entry || others.length > 0) {
      fail(path, `set exactly one of ${FIELDS.join(', ')} (found ${entries.length ? entries.map(([k]) => k).join(', ') : 'none'})`);
    }
    const [field, content] = entry;
    if (field === 'not') return { not: visit(content, `${path}.not`, depth + 1) };
    if (field === 'and' || field === 'or') {
      if (!Array.isArray(content) || content.length === 0 || content.length > MAX_CHILDREN) {
        fail(`${path}.${field}`, `must list 1 to ${MAX_CHILDREN} nodes`);
      }
      const children = content.map((child, i) => visit(child, `${path}.${field}.${i}`, depth + 1));
      return field === 'and' ? { and: children } : { or: children };
    }
    const result = LEAVES[field as LeafField].safeParse(content);
    if (!result.success) {
      const issue = result.error.issues[0];
      const at = [path, field, ...(issue?.path ?? [])].join('.');
      fail(at, issue?.message ?? 'is invalid');
    }
    return { [field]: result.data } as SegmentNode;
  };
  return visit(withoutNulls(raw), root, 1);
}

/** A window as an absolute half-open period, counting relative ends back from `at`. */
export function resolveWindow(window: TimeWindow | undefined, at: Date): Period {
  if (!window) return {};
  const daysAgo = (n: number) => new Date(at.getTime() - n * DAY_MS);
  const from = window.from ?? (window.fromDaysAgo !== undefined ? daysAgo(window.fromDaysAgo) : undefined);
  const to = window.to ?? (window.toDaysAgo !== undefined ? daysAgo(window.toDaysAgo) : undefined);
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** The definition as the JSON the Segment.definition field returns: only the fields set, dates as ISO strings. */
export function definitionToJson(node: SegmentNode): unknown {
  return JSON.parse(JSON.stringify(node)) as unknown;
}
