import { Types } from 'mongoose';
import { inBatch, inPeriod, inRange } from '@omo/lib/contracts/segment-filter';

describe('segment filter helpers', () => {
  it('bound a batch of ids by its smallest and largest, whatever their order', () => {
    expect(inBatch(['b2', 'a1', 'c3'])).toEqual({ $gte: 'a1', $lte: 'c3', $in: ['b2', 'a1', 'c3'] });
    const [low, high] = [new Types.ObjectId('000000000000000000000001'), new Types.ObjectId('ff0000000000000000000000')];
    expect(inBatch([high, low])).toEqual({ $gte: low, $lte: high, $in: [high, low] });
    expect(inBatch([])).toEqual({ $in: [] });
  });

  it('ranges include both bounds; periods include their start and exclude their end', () => {
    expect([inRange(5, { min: 5 }), inRange(5, { max: 4 }), inRange(0, {})]).toEqual([true, false, true]);
    const from = new Date('2026-06-01T00:00:00Z');
    const to = new Date('2026-07-01T00:00:00Z');
    expect([inPeriod(from, { from, to }), inPeriod(to, { from, to }), inPeriod(new Date(0), { to })]).toEqual([true, false, true]);
  });
});
