import { GraphQLError } from 'graphql';
import { thrownBy } from '@omo/tools/testing/errors';
import { parseSegmentDefinition, resolveWindow, definitionToJson, MAX_NODES } from './segment-definition';

const at = new Date('2026-06-15T03:00:00.000Z');

function refusal(raw: unknown): { code: unknown; field: unknown; message: string } {
  const error = thrownBy(() => parseSegmentDefinition(raw));
  if (!(error instanceof GraphQLError)) throw error;
  return { code: error.extensions.code, field: error.extensions.field, message: error.message };
}

describe('a segment definition', () => {
  it('accepts a tree of AND / OR / NOT over conditions and drops the fields GraphQL sends as null', () => {
    const parsed = parseSegmentDefinition({
      and: [
        { tier: ['GOLD', 'GOLD', 'PLATINUM'], pointBalance: null },
        { or: [{ registeredVia: 'STORE' }, { tags: { any: ['vip'], all: null } }] },
        { not: { channelUsage: { usage: 'ONLINE_ONLY', window: null } } },
      ],
    });
    expect(parsed).toEqual({
      and: [
        { tier: ['GOLD', 'PLATINUM'] },
        { or: [{ registeredVia: 'STORE' }, { tags: { any: ['vip'] } }] },
        { not: { channelUsage: { usage: 'ONLINE_ONLY' } } },
      ],
    });
  });

  it('fills in defaults and turns ISO date-times into dates', () => {
    expect(parseSegmentDefinition({ pointsExpiring: { withinDays: 30 } })).toEqual({ pointsExpiring: { withinDays: 30, minPoints: 1 } });
    expect(parseSegmentDefinition({ registered: { from: '2026-06-01T00:00:00+09:00' } })).toEqual({
      registered: { from: new Date('2026-05-31T15:00:00.000Z') },
    });
  });

  it('refuses a node with two fields set, naming the node and what it found', () => {
    expect(refusal({ and: [{ tier: ['GOLD'], registeredVia: 'STORE' }] })).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'definition.and.0',
      message: expect.stringContaining('set exactly one of') as string,
    });
    expect(refusal({ and: [{ tier: ['GOLD'], registeredVia: 'STORE' }] }).message).toContain('found tier, registeredVia');
  });

  it('refuses an empty node, an empty AND and a field that is not a condition', () => {
    expect(refusal({}).field).toBe('definition');
    expect(refusal({ or: [] }).field).toBe('definition.or');
    expect(refusal({ not: { birthday: 'today' } }).field).toBe('definition.not.birthday');
  });

  it('refuses a range with min above max, and one with no bound', () => {
    expect(refusal({ pointBalance: { min: 500, max: 100 } })).toMatchObject({ field: 'definition.pointBalance', message: 'definition.pointBalance: min must be at most max' });
    expect(refusal({ spend: { amount: {} } }).message).toContain('needs min or max');
    expect(refusal({ purchaseCount: { count: { min: -1 } } }).field).toBe('definition.purchaseCount.count.min');
  });

  it('refuses periods that are empty, reversed or given twice at one end', () => {
    expect(refusal({ lastPurchase: {} }).message).toContain('needs a start or an end');
    expect(refusal({ registered: { from: new Date('2026-06-02'), to: new Date('2026-06-01') } }).message).toContain('from must be before to');
    expect(refusal({ lastPurchase: { fromDaysAgo: 30, toDaysAgo: 90 } }).message).toContain('fromDaysAgo must be more days ago');
    expect(refusal({ lastPurchase: { from: new Date('2026-06-01'), fromDaysAgo: 3 } }).message).toContain('not both');
    expect(refusal({ lastPurchase: { fromDaysAgo: 3651 } }).field).toBe('definition.lastPurchase.fromDaysAgo');
    expect(refusal({ registered: { from: 'last tuesday' } }).field).toBe('definition.registered.from');
  });

  it('refuses bad condition values: tiers, stores, tags, expiry days', () => {
    expect(refusal({ tier: [] }).field).toBe('definition.tier');
    expect(refusal({ tier: ['DIAMOND'] }).field).toBe('definition.tier.0');
    expect(refusal({ storesVisited: { storeIds: ['nope'] } }).field).toBe('definition.storesVisited.storeIds.0');
    expect(refusal({ storesVisited: {} }).message).toContain('give storeIds, or a prefecture and/or city');
    expect(refusal({ storesVisited: { storeIds: ['6650f0c2a1b2c3d4e5f60718'], city: '新宿区' } }).field).toBe('definition.storesVisited');
    expect(refusal({ tags: { any: ['has space'] } }).field).toBe('definition.tags.any.0');
    expect(refusal({ pointsExpiring: { withinDays: 0 } }).field).toBe('definition.pointsExpiring.withinDays');
  });

  it('takes birthday months as a sorted set, or the month of evaluation', () => {
    expect(parseSegmentDefinition({ birthdayMonth: { months: [12, 1, 12], currentMonth: null } })).toEqual({ birthdayMonth: { months: [1, 12] } });
    expect(parseSegmentDefinition({ birthdayMonth: { currentMonth: true } })).toEqual({ birthdayMonth: { currentMonth: true } });
    const saved = parseSegmentDefinition({ not: { birthdayMonth: { currentMonth: true } } });
    expect(parseSegmentDefinition(definitionToJson(saved))).toEqual(saved);
  });

  it('refuses birthday months outside 1-12, none, both ways at once, and currentMonth false', () => {
    expect(refusal({ birthdayMonth: { months: [0] } })).toEqual({ code: 'BAD_USER_INPUT', field: 'definition.birthdayMonth.months.0', message: 'definition.birthdayMonth.months.0: months are 1 to 12' });
    expect(refusal({ birthdayMonth: { months: [3, 13] } }).field).toBe('definition.birthdayMonth.months.1');
    expect(refusal({ birthdayMonth: { months: [2.5] } }).field).toBe('definition.birthdayMonth.months.0');
    expect(refusal({ birthdayMonth: { months: [] } }).message).toBe('definition.birthdayMonth.months: needs 1 to 12 months');
    expect(refusal({ birthdayMonth: {} }).message).toBe('definition.birthdayMonth: give months or currentMonth, one of them');
    expect(refusal({ birthdayMonth: { months: [5], currentMonth: true } }).message).toBe('definition.birthdayMonth: give months or currentMonth, one of them');
    expect(refusal({ birthdayMonth: { currentMonth: false } }).message).toBe('definition.birthdayMonth.currentMonth: must be true (for "not this month", put this condition under not)');
  });

  it(`refuses more than ${MAX_NODES} nodes and more than 8 levels`, () => {
    const wide = { or: Array.from({ length: 20 }, () => ({ and: [{ tier: ['GOLD'] }, { registeredVia: 'STORE' }] })) };
    expect(refusal(wide).message).toContain(`at most ${MAX_NODES} nodes`);
    let deep: unknown = { tier: ['GOLD'] };
    for (let i = 0; i < 8; i++) deep = { not: deep };
    expect(refusal(deep).message).toContain('at most 8 levels');
  });

  it('reads back as the JSON it was given, dates as ISO strings', () => {
    const parsed = parseSegmentDefinition({ and: [{ registered: { from: '2026-06-01T00:00:00.000Z' } }, { lineFriendStatus: 'FRIEND' }] });
    expect(definitionToJson(parsed)).toEqual({ and: [{ registered: { from: '2026-06-01T00:00:00.000Z' } }, { lineFriendStatus: 'FRIEND' }] });
    expect(parseSegmentDefinition(definitionToJson(parsed))).toEqual(parsed);
  });
});

describe('a time window', () => {
  it('counts relative ends back from the moment of evaluation, in days of 24 hours', () => {
    expect(resolveWindow({ fromDaysAgo: 90 }, at)).toEqual({ from: new Date('2026-03-17T03:00:00.000Z') });
    expect(resolveWindow({ fromDaysAgo: 2, toDaysAgo: 1 }, at)).toEqual({ from: new Date('2026-06-13T03:00:00.000Z'), to: new Date('2026-06-14T03:00:00.000Z') });
  });

  it('keeps absolute ends as they are, and no window is all time', () => {
    expect(resolveWindow({ to: new Date('2026-01-01T00:00:00.000Z') }, at)).toEqual({ to: new Date('2026-01-01T00:00:00.000Z') });
    expect(resolveWindow(undefined, at)).toEqual({});
  });
});
