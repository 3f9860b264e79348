import { createLogger } from '@omo/lib/core/logger';
import { PartnerEventPublisher, TOPICS_CACHE_MS, type PartnerEventSink } from './partner-event-publisher';

/**
 * The publisher's topic cache, with the clock and members' answers in the test's hands: a sale path never waits
 * on members, and what members has not (recently) answered counts as wanted.
 */
let now = Date.parse('2026-03-02T01:00:00.000Z');
const clock = () => new Date(now);
const logger = createLogger('silent');

/** A sink whose topics() calls stay unanswered until the test answers (or fails) them, oldest first. */
function heldSink() {
  const calls: { resolve: (topics: string[]) => void; reject: (error: Error) => void }[] = [];
  const sink: PartnerEventSink = {
    topics: () => new Promise<string[]>((resolve, reject) => calls.push({ resolve, reject })),
    publish: async () => ({ accepted: true }),
  };
  return { sink, calls };
}

it('never heard from members: every topic is wanted, and one question is asked', () => {
  const { sink, calls } = heldSink();
  const publisher = new PartnerEventPublisher(sink, clock, logger);
  expect(publisher.wants('purchase.recorded')).toBe(true);
  expect(publisher.wants('points.changed')).toBe(true);
  expect(calls).toHaveLength(1);
});

it('a second wants() during a slow refresh neither asks again nor waits; the answer counts from when it came', async () => {
  const { sink, calls } = heldSink();
  const publisher = new PartnerEventPublisher(sink, clock, logger);
  expect(publisher.wants('points.changed')).toBe(true);
  now += 8_000;
  expect(publisher.wants('points.changed')).toBe(true);
  expect(calls).toHaveLength(1);
  calls[0]!.resolve(['purchase.recorded']);
  await publisher.settled();
  expect(publisher.wants('points.changed')).toBe(false);
  expect(publisher.wants('purchase.recorded')).toBe(true);
  // 8 s after it was asked, but TOPICS_CACHE_MS after it came: the answer still holds just before that
  now += TOPICS_CACHE_MS - 1;
  expect(publisher.wants('points.changed')).toBe(false);
  expect(calls).toHaveLength(1);
  now += 1;
  expect(publisher.wants('points.changed')).toBe(true);
  expect(calls).toHaveLength(2);
});

it('members failing after an answer: the stale answer is not trusted, and it is asked again at most every 5 s', async () => {
  const { sink, calls } = heldSink();
  const publisher = new PartnerEventPublisher(sink, clock, logger);
  publisher.wants('points.changed');
  calls[0]!.resolve([]);
  await publisher.settled();
  expect(publisher.wants('points.changed')).toBe(false);
  now += TOPICS_CACHE_MS;
  expect(publisher.wants('points.changed')).toBe(true);
  calls[1]!.reject(new Error('connect ECONNREFUSED'));
  await publisher.settled();
  now += 4_999;
  expect(publisher.wants('points.changed')).toBe(true);
  expect(calls).toHaveLength(2);
  now += 1;
  expect(publisher.wants('points.changed')).toBe(true);
  expect(calls).toHaveLength(3);
});
