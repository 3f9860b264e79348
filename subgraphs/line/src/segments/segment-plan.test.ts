import { parseSegmentDefinition } from './segment-definition';
import { jstMonthOf } from '@omo/lib/core/time';
import { combine, consentPlan, leavesByOwner, leavesOf, planSegment, type Plan } from './segment-plan';

const at = new Date('2026-06-15T03:00:00.000Z');
const batch = ['a', 'b', 'c', 'd'];

/** Answers leaves in key order (c0 is the implicit "active" leaf). */
function answers(...sets: string[][]): Map<string, Set<string>> {
  return new Map(sets.map((ids, i) => [`c${i}`, new Set(ids)]));
}

const plan = (raw: unknown): Plan => planSegment(parseSegmentDefinition(raw), at);

describe('planning a segment', () => {
  it('gives each leaf to the service that owns its data, with every period made absolute at one instant', () => {
    const planned = plan({
      and: [
        { tier: ['GOLD'] },
        { registered: { fromDaysAgo: 30 } },
        { storesVisited: { storeIds: ['6650F0C2A1B2C3D4E5F60718'], window: { fromDaysAgo: 90 } } },
        { not: { channelUsage: { usage: 'ONLINE_ONLY' } } },
        { pointsExpiring: { withinDays: 7 } },
        { lineFriendStatus: 'FRIEND' },
      ],
    });
    expect(leavesOf(planned)).toEqual([
      { key: 'c0', owner: 'members', condition: { kind: 'active' } },
      { key: 'c1', owner: 'points', condition: { kind: 'tier', in: ['GOLD'] } },
      { key: 'c2', owner: 'members', condition: { kind: 'registered', period: { from: new Date('2026-05-16T03:00:00.000Z') } } },
      {
        key: 'c3',
        owner: 'purchases',
        condition: { kind: 'storesVisited', storeIds: ['6650f0c2a1b2c3d4e5f60718'], period: { from: new Date('2026-03-17T03:00:00.000Z') } },
      },
      { key: 'c4', owner: 'purchases', condition: { kind: 'channelUsage', usage: 'ONLINE_ONLY', period: {} } },
      { key: 'c5', owner: 'points', condition: { kind: 'pointsExpiring', until: new Date('2026-06-22T03:00:00.000Z'), minPoints: 1 } },
      { key: 'c6', owner: 'line', condition: { kind: 'lineFriendStatus', status: 'FRIEND' } },
    ]);
    expect([...leavesByOwner(planned)].map(([owner, leaves]) => [owner, leaves.map((l) => l.key)])).toEqual([
      ['members', ['c0', 'c2']],
      ['points', ['c1', 'c5']],
      ['purchases', ['c3', 'c4']],
      ['line', ['c6']],
    ]);
  });
});

describe('planning a birthday month', () => {
  it('sends explicit months to members as they are', () => {
    expect(leavesOf(plan({ birthdayMonth: { months: [3, 4] } }))[1]).toEqual({ key: 'c1', owner: 'members', condition: { kind: 'birthdayMonth', months: [3, 4] } });
  });

  it('turns "the month of evaluation" into the month in Japan at that instant, also where UTC is still in the month before', () => {
    const monthAt = (instant: string) => leavesOf(planSegment(parseSegmentDefinition({ birthdayMonth: { currentMonth: true } }), new Date(instant)))[1];
    expect(monthAt('2026-06-15T03:00:00.000Z')).toEqual({ key: 'c1', owner: 'members', condition: { kind: 'birthdayMonth', months: [6] } });
    // 1 May 00:30 JST is 30 April 15:30 UTC
    expect(monthAt('2026-04-30T15:30:00.000Z')).toMatchObject({ condition: { months: [5] } });
    expect(monthAt('2026-04-30T14:59:59.999Z')).toMatchObject({ condition: { months: [4] } });
    // New Year in Japan
    expect(monthAt('2026-12-31T15:00:00.000Z')).toMatchObject({ condition: { months: [1] } });
  });

  it('reads the month in Japan', () => {
    expect(jstMonthOf(new Date('2026-01-31T14:59:59.999Z')).month).toBe(1);
    expect(jstMonthOf(new Date('2026-01-31T15:00:00.000Z')).month).toBe(2);
  });
});

describe('the marketing consent leaf', () => {
  it('is the members service\'s marketingConsent, under a key no definition leaf can take', () => {
    const consent = consentPlan();
    expect(leavesOf(consent)).toEqual([{ key: 'consent', owner: 'members', condition: { kind: 'marketingConsent' } }]);
    const segment = plan({ and: [{ tier: ['GOLD'] }, { registeredVia: 'STORE' }] });
    expect([...leavesByOwner(segment, consent)].map(([owner, leaves]) => [owner, leaves.map((l) => l.key)])).toEqual([
      ['members', ['c0', 'c2', 'consent']],
      ['points', ['c1']],
    ]);
  });

  it('matches the consented members of the batch, whatever the segment', () => {
    expect(combine(consentPlan(), batch, new Map([['consent', new Set(['a', 'd'])]]))).toEqual(new Set(['a', 'd']));
  });
});

describe('planning several segments evaluated together', () => {
  it('keeps their leaves apart by a key prefix, so one call per service answers all of them', () => {
    const gold = planSegment(parseSegmentDefinition({ tier: ['GOLD'] }), at, 'd0c');
    const silver = planSegment(parseSegmentDefinition({ tier: ['SILVER'] }), at, 'd1c');
    expect([...leavesByOwner(gold, silver)].map(([owner, leaves]) => [owner, leaves.map((l) => l.key)])).toEqual([
      ['members', ['d0c0', 'd1c0']],
      ['points', ['d0c1', 'd1c1']],
    ]);
  });

  it('without a definition, matches every active member', () => {
    const active = planSegment(null, at);
    expect(leavesOf(active)).toEqual([{ key: 'c0', owner: 'members', condition: { kind: 'active' } }]);
    expect(combine(active, batch, answers(['a', 'c']))).toEqual(new Set(['a', 'c']));
  });
});

describe('combining the services’ answers', () => {
  it('ANDs the definition with the member being active', () => {
    expect(combine(plan({ tier: ['GOLD'] }), batch, answers(['a', 'b', 'c'], ['b', 'c', 'd']))).toEqual(new Set(['b', 'c']));
  });

  it('AND is the intersection, OR the union', () => {
    const everyone = batch;
    expect(combine(plan({ and: [{ tier: ['GOLD'] }, { registeredVia: 'STORE' }] }), batch, answers(everyone, ['a', 'b'], ['b', 'c']))).toEqual(new Set(['b']));
    expect(combine(plan({ or: [{ tier: ['GOLD'] }, { registeredVia: 'STORE' }] }), batch, answers(everyone, ['a', 'b'], ['b', 'c']))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('NOT is the rest of the batch, so members a service knows nothing about are included', () => {
    expect(combine(plan({ not: { channelUsage: { usage: 'BOTH' } } }), batch, answers(batch, ['a']))).toEqual(new Set(['b', 'c', 'd']));
  });

  it('NOT never brings back an inactive member', () => {
    expect(combine(plan({ not: { tier: ['GOLD'] } }), batch, answers(['a', 'b'], ['a']))).toEqual(new Set(['b']));
  });

  it('nests: GOLD members who have not bought in 180 days, or anyone tagged vip', () => {
    const definition = {
      or: [{ and: [{ tier: ['GOLD'] }, { not: { lastPurchase: { fromDaysAgo: 180 } } }] }, { tags: { any: ['vip'] } }],
    };
    // c1 GOLD: a, b; c2 bought in the last 180 days: a; c3 vip: d
    expect(combine(plan(definition), batch, answers(batch, ['a', 'b'], ['a'], ['d']))).toEqual(new Set(['b', 'd']));
  });

  it('a leaf no service answered matches nobody', () => {
    expect(combine(plan({ tier: ['GOLD'] }), batch, answers(batch))).toEqual(new Set());
  });
});
