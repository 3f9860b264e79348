import type { Logger } from '@omo/lib/core/logger';
import { DAY_MS, HOUR_MS } from '@omo/lib/core/time';
import type { PartnerDeliveryBody } from '@omo/lib/events/partner-events';
import { PARTNER_HEADERS, signPartnerPayload } from '@omo/lib/events/partner-signature';
import { LEASE_MS, RetryLater, type OutboxHandler } from '@omo/lib/outbox/outbox';
import { LANE_ITEM } from './partner-event-inbox';
import type { SubscriptionPause } from './subscription-pause';
import { postTo } from './webhook-http';
import { hostOf, isInternalAddress, resolveWithDns, type ResolveHost } from './webhook-url-policy';
import { followedSince, type DeliveryAttempt, type PartnerEventDoc, type PartnerEventModels, type PartnerEventSequenceDoc, type WebhookDeliveryDoc, type WebhookSubscriptionDoc } from './partner-events.models';

/** A delivery not accepted this long after its first try (or its replay) is given up: FAILED, for staff to replay. */
export const GIVE_UP_MS = 3 * DAY_MS;
/** The wait after each failed try: 1 min, 5 min, 30 min, 2 h, then 6 h. */
const BACKOFF_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * HOUR_MS, 6 * HOUR_MS];
/** How long a send's lookup of the URL's name may take; past it the try fails (its retry resolves again). */
export const DNS_TIMEOUT_MS = 5_000;
/**
 * A lane's run starts no further send that could still be running this close to the end of the outbox's lease
 * (LEASE_MS): a run outliving its lease could be joined by a second runner sending the same lane at once, out of
 * order. The margin is for the run's own reads and writes around the sends. A run's first send always starts:
 * PARTNER_WEBHOOK_TIMEOUT_MS is capped (lib/core/config.ts) so that it fits with the lookup.
 */
const LEASE_MARGIN_MS = 5_000;
/**
 * How long a lane waits for an earlier event of its member that has its place but not yet its delivery (the inbox
 * writes the place, then the deliveries): past it that event's publisher is taken to have died between the two,
 * and the lane goes on (its retry makes the delivery later, out of order: docs/events.md).
 */
export const EARLIER_PLACE_WAIT_MS = 30_000;
/** The earlier places a lane looks at: enough for a burst of one member's events in flight at once. */
const EARLIER_PLACES_LOOKED_AT = 50;

/** The JSON body partners receive for a stored event. */
export function deliveryBody(event: PartnerEventDoc, seq: number): PartnerDeliveryBody {
  return { id: event._id, topic: event.topic, memberId: event.memberId, sequence: seq, occurredAt: event.occurredAt.toISOString(), data: event.data };
}

/**
 * Sends deliveries, one lane (a subscription and a member) at a time, from members' outbox: the lane's item runs
 * under the outbox's lease, so of several workers one sends a lane. A run sends the lane's lowest pending delivery,
 * and only once it is delivered or given up the next one: a member's events reach a subscription in their order
 * (a receiver down for a while gets them later, in order). A failed try waits its back-off, kept on the delivery
 * (the outbox waits at most 10 minutes between runs, so a lane waiting hours is looked at, and left, every 10).
 *
 * Crash points: a send accepted and its DELIVERED not written is sent again by the next run (receivers dedupe by
 * the event id, docs/events.md); a lease outlived by a stuck run may let a second runner send a delivery twice.
 */
export class WebhookDispatcher {
  constructor(
    private readonly models: PartnerEventModels,
    private readonly deps: {
      clock: () => Date;
      logger: Logger;
      timeoutMs: number;
      production: boolean;
      pause: SubscriptionPause;
      resolve?: ResolveHost;
      /** DNS_TIMEOUT_MS unless a test's own. */
      dnsTimeoutMs?: number;
    },
  ) {}

  handlers(): Record<string, OutboxHandler> {
    return { [LANE_ITEM]: (payload) => this.runLane(String(payload.subscriptionId), String(payload.memberId)) };
  }

  async runLane(subscriptionId: string, memberId: string): Promise<unknown> {
    // real time, not the injectable clock: what the lease guards against is this process's run taking too long
    const started = Date.now();
    const sendTakesAtMost = this.deps.timeoutMs + this.dnsTimeoutMs();
    let sent = false;
    const subscription = await this.models.subscriptions.findById(subscriptionId).lean<WebhookSubscriptionDoc>().exec();
    let delivered = 0;
    for (;;) {
      const next = await this.models.deliveries.findOne({ subscriptionId, memberId, state: 'PENDING' }).sort({ seq: 1 }).lean<WebhookDeliveryDoc>().exec();
      if (!next) return { delivered };
      if (!subscription?.active) return { failed: await this.failRemaining(subscriptionId, memberId), delivered };
      const now = this.deps.clock();
      if (next.nextAttemptAt.getTime() > now.getTime()) throw new RetryLater(`delivery ${next._id} waits for its back-off`, { afterMs: next.nextAttemptAt.getTime() - now.getTime() });
      if (sent && Date.now() - started + sendTakesAtMost > LEASE_MS - LEASE_MARGIN_MS) throw new RetryLater('more deliveries to send in this lane', { afterMs: 0 });
      const earlier = await this.earlierWithoutDelivery(subscription, next, now);
      if (earlier) throw new RetryLater(`delivery ${next._id} waits for the delivery of ${earlier}, placed before it`, { afterMs: 1_000 });
      const admission = await this.deps.pause.admit(subscriptionId);
      if (!admission.send) {
        if (now.getTime() - next.since.getTime() < GIVE_UP_MS) throw new RetryLater(`delivery ${next._id} waits: ${admission.why}`, { afterMs: admission.waitMs });
        await this.models.deliveries.updateOne({ _id: next._id, state: 'PENDING' }, { $set: { state: 'FAILED', failedAt: now, failureReason: 'Not accepted within 3 days (its endpoint kept failing)' } });
        continue;
      }
      sent = true;
      const { attempt, refused } = await this.send(subscription, next);
      if (refused) {
        this.deps.logger.warn({ deliveryId: next._id, subscriptionId }, 'partner webhook not sent: its host is internal');
        await this.finish(next, attempt, { state: 'FAILED', failedAt: attempt.at, failureReason: refused });
        continue;
      }
      if (attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300) {
        await this.finish(next, attempt, { state: 'DELIVERED', deliveredAt: attempt.at });
        if (!admission.healthy) await this.deps.pause.succeeded(subscriptionId);
        delivered += 1;
        continue;
      }
      await this.deps.pause.failed(subscriptionId, admission.probe);
      if (attempt.at.getTime() - next.since.getTime() >= GIVE_UP_MS) {
        this.deps.logger.error({ deliveryId: next._id, statusCode: attempt.statusCode, err: attempt.error }, 'partner webhook delivery given up after 3 days');
        await this.finish(next, attempt, { state: 'FAILED', failedAt: attempt.at, failureReason: 'Not accepted within 3 days' });
        continue;
      }
      const wait = BACKOFF_MS[Math.min(next.attempts.length, BACKOFF_MS.length - 1)]!;
      await this.finish(next, attempt, { nextAttemptAt: new Date(attempt.at.getTime() + wait) });
      throw new RetryLater(`delivery ${next._id} failed (${attempt.statusCode ?? attempt.error}); next try in ${wait / 1000} s`, { afterMs: wait });
    }
  }

  /**
   * An event of this member placed before `next`, of a topic the subscription hears, received since it began to
   * follow that topic and less than EARLIER_PLACE_WAIT_MS ago, that has no delivery for it yet: its publisher is
   * between taking the place and writing the deliveries, and sending `next` now would overtake it.
   */
  private async earlierWithoutDelivery(subscription: WebhookSubscriptionDoc, next: WebhookDeliveryDoc, now: Date): Promise<string | null> {
    const places = await this.models.sequence
      .find({ memberId: next.memberId, seq: { $lt: next.seq } }, { eventId: 1 })
      .sort({ seq: -1 })
      .limit(EARLIER_PLACES_LOOKED_AT)
      .lean<Pick<PartnerEventSequenceDoc, 'eventId'>[]>()
      .exec();
    if (places.length === 0) return null;
    const waited = now.getTime() - EARLIER_PLACE_WAIT_MS;
    const followed = subscription.topics.map((topic) => ({ topic, receivedAt: { $gte: new Date(Math.max(followedSince(subscription, topic).getTime(), waited)) } }));
    const recent = await this.models.events
      .find({ _id: { $in: places.map((p) => p.eventId) }, $or: followed }, { _id: 1 })
      .lean<Pick<PartnerEventDoc, '_id'>[]>()
      .exec();
    if (recent.length === 0) return null;
    const subscriptionId = subscription._id.toHexString();
    const made = await this.models.deliveries.find({ _id: { $in: recent.map((e) => `${subscriptionId}:${e._id}`) } }, { eventId: 1 }).lean<Pick<WebhookDeliveryDoc, 'eventId'>[]>().exec();
    const withDelivery = new Set(made.map((d) => d.eventId));
    return recent.find((e) => !withDelivery.has(e._id))?._id ?? null;
  }

  /**
   * One try. The URL's name is resolved here and, in production, refused when any address it has is internal
   * (docs/events.md, "URLs"): a refusal no retry changes, so the delivery ends FAILED. The request then goes to the
   * addresses checked, each tried in turn (postTo), never to a second lookup.
   */
  private async send(subscription: WebhookSubscriptionDoc, delivery: WebhookDeliveryDoc): Promise<{ attempt: DeliveryAttempt; refused?: string }> {
    const at = this.deps.clock();
    const event = await this.models.events.findById(delivery.eventId).lean<PartnerEventDoc>().exec();
    if (!event) return { attempt: { at, statusCode: null, error: 'the event is not stored', durationMs: 0 } };
    const url = new URL(subscription.url);
    const host = hostOf(url);
    const began = Date.now();
    const tried = (statusCode: number | null, error: string | null): DeliveryAttempt => ({ at, statusCode, error, durationMs: Date.now() - began });
    let addresses: { address: string; family: number }[];
    try {
      addresses = await withTimeout((this.deps.resolve ?? resolveWithDns)(host), this.dnsTimeoutMs());
    } catch (error) {
      if (error instanceof LookupTimeout) return { attempt: tried(null, `could not resolve the host within ${this.dnsTimeoutMs() / 1000} s`) };
      return { attempt: tried(null, `could not resolve the host${codeOf(error)}`) };
    }
    if (addresses.length === 0) return { attempt: tried(null, 'could not resolve the host') };
    if (this.deps.production && addresses.some((a) => isInternalAddress(a.address))) {
      const refused = `Not sent: ${host} resolves to a private, loopback, link-local or internal address`;
      return { attempt: tried(null, refused), refused };
    }
    const raw = JSON.stringify(deliveryBody(event, delivery.seq));
    const timestamp = Math.floor(at.getTime() / 1000);
    const secrets = [subscription.secret];
    if (subscription.previousSecret && subscription.previousSecretUntil && subscription.previousSecretUntil.getTime() > at.getTime()) secrets.push(subscription.previousSecret);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'omo-loyalty-webhooks/1',
      [PARTNER_HEADERS.eventId]: event._id,
      [PARTNER_HEADERS.topic]: event.topic,
      [PARTNER_HEADERS.timestamp]: String(timestamp),
      [PARTNER_HEADERS.signature]: signPartnerPayload(secrets, timestamp, raw),
    };
    try {
      const status = await postTo(url, addresses, headers, raw, this.deps.timeoutMs);
      return { attempt: tried(status, status >= 300 && status < 400 ? 'redirects are not followed' : null) };
    } catch (error) {
      return { attempt: tried(null, describe(error, this.deps.timeoutMs)) };
    }
  }

  private dnsTimeoutMs(): number {
    return this.deps.dnsTimeoutMs ?? DNS_TIMEOUT_MS;
  }

  /** Written only while the delivery is still PENDING: a replay or a takeover may have moved it meanwhile. */
  private async finish(delivery: WebhookDeliveryDoc, attempt: DeliveryAttempt, set: Partial<WebhookDeliveryDoc>): Promise<void> {
    await this.models.deliveries.updateOne({ _id: delivery._id, state: 'PENDING' }, { $set: set, $push: { attempts: attempt } });
  }

  private async failRemaining(subscriptionId: string, memberId: string): Promise<number> {
    const { modifiedCount } = await this.models.deliveries.updateMany(
      { subscriptionId, memberId, state: 'PENDING' },
      { $set: { state: 'FAILED', failedAt: this.deps.clock(), failureReason: 'The subscription was disabled' } },
    );
    return modifiedCount;
  }
}

class LookupTimeout extends Error {}

/** The lookup, or LookupTimeout after `ms` (node's lookup cannot be cancelled: it is left to finish unread). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new LookupTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Why no status came back, without anything of the request (no URL, no headers). */
function describe(error: unknown, timeoutMs: number): string {
  const { name, cause } = (error ?? {}) as { name?: unknown; cause?: { name?: unknown } };
  if (name === 'TimeoutError' || cause?.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  return `connection failed${codeOf(error)}`;
}

/** A system error's code (ECONNREFUSED, ENOTFOUND), in parentheses, or nothing. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? ` (${code})` : '';
}
