import type { RewardFields } from '../models/reward.model';
import { unavailability } from './reward.service';

const NOW = new Date('2030-04-01T00:00:00.000Z');
const reward: RewardFields = {
  nameJa: '500円引き',
  nameEn: '¥500 off',
  descriptionJa: '',
  descriptionEn: '',
  pointsCost: 500,
  benefit: { kind: 'YEN_OFF', yenOff: 500, percentOff: null, capYen: null, sku: null },
  storeIds: [],
  online: true,
  validFrom: NOW,
  validUntil: new Date('2030-05-01T00:00:00.000Z'),
  stock: null,
  perMemberLimit: null,
  minTier: 'SILVER',
  active: true,
  couponValidityDays: 30,
  restoreCouponOnRefund: false,
};

describe('whether a reward may be redeemed', () => {
  it('takes its start inclusive, its end exclusive, its tier as a minimum and its active flag', () => {
    expect(unavailability(reward, NOW, 'SILVER')).toBeNull();
    expect(unavailability(reward, NOW, 'PLATINUM')).toBeNull();
    expect(unavailability(reward, NOW, 'REGULAR')).toBe('it is for SILVER members and above');
    expect(unavailability(reward, new Date(NOW.getTime() - 1), 'GOLD')).toBe('it has not started');
    expect(unavailability(reward, new Date('2030-05-01T00:00:00.000Z'), 'GOLD')).toBe('it has ended');
    expect(unavailability({ ...reward, validUntil: null, minTier: null }, new Date('2040-01-01T00:00:00.000Z'), 'REGULAR')).toBeNull();
    expect(unavailability({ ...reward, active: false }, NOW, 'GOLD')).toBe('it is not active');
  });
});
