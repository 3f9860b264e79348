import { Types } from 'mongoose';
import { prng } from '@omo/tools/testing/random';
import type { CampaignDoc } from '../models/campaign.model';
import type { ItemRuleDoc, ItemRuleFields } from '../models/item-rule.model';
import type { PointsPolicy, Rounding, Tier } from '../models/points-policy.model';
import { breakdownFor, type EarnInput } from './earn-calculator';
import { shareOfAmount } from './item-rule-earn';
import { lineRefundTarget } from './item-rule-refund';
import type { EarnLine } from './item-rule-match';
import { defaultPolicy } from './points-policy';

/** The per-line arithmetic alone (no database): shares, cumulative rounding, and how item rules combine. */

const STORE = new Types.ObjectId().toHexString();
const AT = new Date('2030-04-01T00:00:00.000Z');
const DAY = 86_400_000;
const WINDOW = { startsAt: new Date(AT.getTime() - DAY), endsAt: new Date(AT.getTime() + DAY) };
const CHANGE = { actor: 'staff:admin-1', at: new Date(AT.getTime() - DAY), action: 'CREATE_ITEM_RULE' as const, changes: [] };

function rule(fields: Partial<ItemRuleFields> & Pick<ItemRuleFields, 'action'>): ItemRuleDoc {
  const id = new Types.ObjectId();
  return { _id: id, itemRuleId: id, revision: 1, name: 'rule', multiplierPercent: null, bonusPointsPerUnit: null, categories: [], skus: [], storeIds: [], channels: [], tiers: [], ...WINDOW, createdAt: CHANGE.at, change: CHANGE, ...fields };
}

function campaign(multiplierPercent: number): CampaignDoc {
  const id = new Types.ObjectId();
  return { _id: id, campaignId: id, revision: 1, name: 'c', kind: 'MULTIPLIER', multiplierPercent, bonusPoints: null, minAmount: 0, storeIds: [], channels: [], tiers: [], ...WINDOW, createdAt: CHANGE.at, change: { ...CHANGE, action: 'CREATE_CAMPAIGN' } };
}

const policyWith = (changes: Partial<PointsPolicy>): PointsPolicy => ({ ...defaultPolicy(), ...changes });
const purchase = (amount: number, lines: EarnLine[] | null, tier: Tier = 'REGULAR'): EarnInput => ({ storeId: STORE, channel: 'STORE', amount, tier, at: AT, lines });
const line = (sku: string, unitPrice: number, quantity = 1, category: string | null = null): EarnLine => ({ sku, unitPrice, quantity, category });

describe('shareOfAmount', () => {
  it('pro-rates the amount by value, floored cumulatively, so the shares add up to it exactly', () => {
    // floor(100×333/1000) = 33, floor(100×666/1000) = 66, 100 → 33, 33, 34
    expect(shareOfAmount([line('A', 333), line('B', 333), line('C', 334)], 100)).toEqual([33, 33, 34]);
    // a discount of 1 yen on 3 × 1 yen: floor(2×1/3) = 0, floor(2×2/3) = 1, 2 → 0, 1, 1
    expect(shareOfAmount([line('A', 1), line('B', 1), line('C', 1)], 2)).toEqual([0, 1, 1]);
  });

  it('shares an amount alike over lines that are all at 0 yen', () => {
    expect(shareOfAmount([line('A', 0), line('B', 0)], 5)).toEqual([2, 3]);
  });
});

describe('breakdownFor with lines', () => {
  it('rounds once over the purchase and deals the points to the lines by cumulative rounding', () => {
    // three lines of 150 yen at 1 point per 100 yen: 1.5 each; HALF_UP of the running sum 1.5, 3.0, 4.5 → 2, 3, 5,
    // so the lines get 2, 1, 2 = 5 = HALF_UP(4.5) (rounding each line would give 6)
    const breakdown = breakdownFor(policyWith({ rounding: 'HALF_UP' }), null, [], [], purchase(450, [line('A', 150), line('B', 150), line('C', 150)]));
    expect({ points: breakdown.points, lines: breakdown.lines?.map((l) => l.points) }).toEqual({ points: 5, lines: [2, 1, 2] });
  });

  it('earns exactly what the amount as one earns when no item rule applies, for any lines, tier, campaign and rounding', () => {
    const random = prng(18);
    const tiers: Tier[] = ['REGULAR', 'SILVER', 'GOLD', 'PLATINUM'];
    for (let i = 0; i < 500; i += 1) {
      const lines = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, n) => line(`S${n}`, Math.floor(random() * 20_000), 1 + Math.floor(random() * 5), n % 2 ? 'tea' : null));
      const subtotal = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
      const amount = Math.floor(random() * (subtotal + 1));
      const rounding: Rounding = random() < 0.5 ? 'FLOOR' : 'HALF_UP';
      const policy = policyWith({ rounding, excludedCategories: [] });
      const campaigns = random() < 0.5 ? [campaign(101 + Math.floor(random() * 400))] : [];
      const tier = tiers[i % 4]!;
      const perLine = breakdownFor(policy, null, campaigns, [], purchase(amount, lines, tier));
      const asOne = breakdownFor(policy, null, campaigns, [], purchase(amount, null, tier));
      expect({ i, points: perLine.points, lineSum: perLine.lines?.reduce((sum, l) => sum + l.points, 0) }).toEqual({ i, points: asOne.points, lineSum: asOne.points });
    }
  });

  it('excludes by the policy ignoring case and width, and an EXCLUDE rule wins over a multiplier and a bonus on the same line', () => {
    const exclude = rule({ action: 'EXCLUDE', skus: ['TOB-01'] });
    const double = rule({ action: 'MULTIPLIER', multiplierPercent: 200, categories: ['tobacco'] });
    const bonus = rule({ action: 'FIXED_BONUS', bonusPointsPerUnit: 5, categories: ['tobacco'] });
    const breakdown = breakdownFor(defaultPolicy(), null, [], [double, bonus, exclude], purchase(3000, [line('GC', 1000, 1, 'Ｇｉｆｔ-Card'), line('TOB-01', 1000, 1, 'tobacco'), line('X', 1000)]));
    expect(breakdown.lines?.map((l) => [l.sku, l.rule, l.points, l.itemRuleIds])).toEqual([
      ['GC', 'EXCLUDED', 0, []],
      ['TOB-01', 'EXCLUDED', 0, [exclude.itemRuleId.toHexString()]],
      ['X', 'NONE', 10, []],
    ]);
    expect({ points: breakdown.points, earningAmount: breakdown.earningAmount }).toEqual({ points: 10, earningAmount: 1000 });
  });

  it('takes the higher of the campaign and the item multiplier, not both, and adds bonuses per unit', () => {
    const triple = rule({ action: 'MULTIPLIER', multiplierPercent: 300, categories: ['tea'] });
    const half = rule({ action: 'MULTIPLIER', multiplierPercent: 120, skus: ['CUP'] });
    const bonus = rule({ action: 'FIXED_BONUS', bonusPointsPerUnit: 3, skus: ['CUP'] });
    // tea: 1000 yen × 300% = 30; cup: 2 × 1000 yen, the campaign's 150% beats the rule's 120% = 30, + 3 × 2 = 36
    const breakdown = breakdownFor(defaultPolicy(), null, [campaign(150)], [triple, half, bonus], purchase(3000, [line('TEA', 1000, 1, 'tea'), line('CUP', 1000, 2)]));
    expect(breakdown.lines?.map((l) => [l.sku, l.rule, l.multiplierPercent, l.bonusPoints, l.points])).toEqual([
      ['TEA', 'ITEM_RULE', 300, 0, 30],
      ['CUP', 'CAMPAIGN', 150, 6, 36],
    ]);
    expect(breakdown.points).toBe(66);
  });

  it('leaves out item rules outside their scope: another store, another tier, not started', () => {
    const rules = [
      rule({ action: 'MULTIPLIER', multiplierPercent: 500, categories: ['tea'], storeIds: [new Types.ObjectId().toHexString()] }),
      rule({ action: 'MULTIPLIER', multiplierPercent: 500, categories: ['tea'], tiers: ['GOLD'] }),
      rule({ action: 'EXCLUDE', categories: ['tea'], startsAt: new Date(AT.getTime() + 1), endsAt: new Date(AT.getTime() + DAY) }),
    ];
    expect(breakdownFor(defaultPolicy(), null, [], rules, purchase(1000, [line('TEA', 1000, 1, 'tea')])).lines?.map((l) => [l.rule, l.points])).toEqual([['NONE', 10]]);
  });

  it('pays no item bonus on a line whose share of the earning yen is 0: paid all with points, or a ¥0 line', () => {
    const bonus = rule({ action: 'FIXED_BONUS', bonusPointsPerUnit: 10, skus: ['CUP', 'FREE'] });
    // everything paid with points: the amount is 0, so is every share
    const allPoints = breakdownFor(defaultPolicy(), null, [], [bonus], purchase(0, [line('CUP', 3300, 2)]));
    expect({ points: allPoints.points, lines: allPoints.lines?.map((l) => [l.sku, l.bonusPoints, l.points, l.itemRuleIds]) }).toEqual({ points: 0, lines: [['CUP', 0, 0, []]] });
    // a free cup beside a paid one: only the paid one's unit earns its bonus (3300 yen → 33 + 10)
    const free = breakdownFor(defaultPolicy(), null, [], [bonus], purchase(3300, [line('CUP', 3300), line('FREE', 0)]));
    expect(free.lines?.map((l) => [l.sku, l.amount, l.bonusPoints, l.points])).toEqual([
      ['CUP', 3300, 10, 43],
      ['FREE', 0, 0, 0],
    ]);
  });
});

describe('lineRefundTarget', () => {
  const bonus = rule({ action: 'FIXED_BONUS', bonusPointsPerUnit: 10, skus: ['CUP'] });
  // gift card 5000 (excluded) + 3 cups: 9900 yen × 150% = 148.5 → 148, + 30
  const earned = breakdownFor(defaultPolicy(), null, [campaign(150)], [bonus], purchase(14_900, [line('GIFT', 5000, 1, 'gift-card'), line('CUP', 3300, 3)]));

  it('takes back nothing for an excluded line, and a line by its units, its bonus per unit exactly, cumulatively', () => {
    expect(earned.points).toBe(178);
    expect(lineRefundTarget(earned, { GIFT: 1 })).toEqual({ points: 0, spend: 0 });
    expect([1, 2, 3].map((cups) => lineRefundTarget(earned, { CUP: cups }))).toEqual([
      { points: 49 + 10, spend: 3300 },
      { points: 98 + 20, spend: 6600 },
      { points: 148 + 30, spend: 9900 },
    ]);
    expect(lineRefundTarget(earned, { GIFT: 1, CUP: 3 })).toEqual({ points: 178, spend: 9900 });
  });

  it('answers null for an entry from before item rules (no lines): the yen rule', () => {
    expect(lineRefundTarget(breakdownFor(defaultPolicy(), null, [], [], purchase(1000, null)), { CUP: 1 })).toBeNull();
  });

  it('takes the campaigns\' per-purchase bonus back with the earning yen refunded', () => {
    const fixed: CampaignDoc = { ...campaign(150), kind: 'FIXED_BONUS', multiplierPercent: null, bonusPoints: 50 };
    const withBonus = breakdownFor(defaultPolicy(), null, [fixed], [], purchase(4000, [line('A', 1000), line('B', 3000)]));
    // 10 + 30 + 50: A returned takes 10 and a quarter of the 50 (floor 12.5)
    expect(withBonus.points).toBe(90);
    expect(lineRefundTarget(withBonus, { A: 1 })).toEqual({ points: 10 + 12, spend: 1000 });
    expect(lineRefundTarget(withBonus, { A: 1, B: 1 })).toEqual({ points: 90, spend: 4000 });
  });
});
