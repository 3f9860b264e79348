import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { Leases } from '@omo/lib/core/claims';

/** Sends failing in a row, across the subscription's lanes, before it is paused as a whole. */
export const FAILURES_BEFORE_PAUSE = 5;
/** How long each pause lasts, the probe that ends one failing again making the next longer. */
const PAUSE_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000];
/** A probe's claim: a prober that died is replaced after this (a send takes at most the 30 s timeout). */
const PROBE_LEASE_MS = 45_000;

/**
 * A subscription's health, `_id` its id, apart from the subscription itself so an ADMIN's edit and a lane's
 * count never write the same document. `failures` is a plain $inc: FerretDB may lose one of two at the same
 * moment, which only pauses the endpoint a try later.
 */
interface SubscriptionHealthDoc {
  _id: string;
  failures: number;
  /** While set: no lane sends before it; after it, one probe (the lease of `<id>:<round>`) at a time. */
  pausedUntil: Date | null;
  round: number;
}

const healthSchema = new Schema<SubscriptionHealthDoc>(
  { _id: { type: String, required: true }, failures: { type: Number, default: 0 }, pausedUntil: { type: Date, default: null }, round: { type: Number, default: 0 } },
  { versionKey: false },
);

/** `healthy`: nothing to clear after a success. */
export type Admission = { send: true; probe: boolean; healthy: boolean } | { send: false; waitMs: number; why: string };

/**
 * The subscription-wide back-off (docs/events.md, "Delivering"). Each lane keeps its own back-off too, but an
 * endpoint that is down for everyone would otherwise be hit by every member's lane at its own pace: after
 * FAILURES_BEFORE_PAUSE failed sends in a row the subscription pauses, and once the pause is over one lane (the one
 * that takes the probe's lease) tries; its success resumes every lane, its failure starts a longer pause.
 * Crash points: a prober dying leaves its lease, taken over after PROBE_LEASE_MS; a count lost with a dying
 * process delays the pause by one failure.
 */
export class SubscriptionPause {
  private readonly health: Model<SubscriptionHealthDoc>;
  private readonly probes: Leases;
  private readonly holder = randomUUID();

  constructor(connection: Connection, private readonly clock: () => Date) {
    this.health = connection.model<SubscriptionHealthDoc>('PartnerWebhookHealth', healthSchema, 'partner_webhook_subscription_health');
    this.probes = new Leases(connection, { model: 'PartnerWebhookProbe', collection: 'partner_webhook_probes' }, clock, PROBE_LEASE_MS);
  }

  async admit(subscriptionId: string): Promise<Admission> {
    const health = await this.health.findById(subscriptionId).lean<SubscriptionHealthDoc>().exec();
    if (!health?.pausedUntil) return { send: true, probe: false, healthy: !health || health.failures === 0 };
    const now = this.clock().getTime();
    if (now < health.pausedUntil.getTime()) return { send: false, waitMs: health.pausedUntil.getTime() - now, why: 'its subscription is paused after failing sends' };
    if (await this.probes.acquireNew(`${subscriptionId}:${health.round}`, this.holder)) return { send: true, probe: true, healthy: false };
    return { send: false, waitMs: PROBE_LEASE_MS, why: 'another lane is probing its paused subscription' };
  }

  /** Written only when there was something to clear, so a healthy endpoint costs no write per delivery. */
  async succeeded(subscriptionId: string): Promise<void> {
    await this.health.updateOne({ _id: subscriptionId, $or: [{ failures: { $gt: 0 } }, { pausedUntil: { $ne: null } }] }, { $set: { failures: 0, pausedUntil: null, round: 0 } });
  }

  async failed(subscriptionId: string, probe: boolean): Promise<void> {
    const health = await this.health
      .findOneAndUpdate({ _id: subscriptionId }, { $inc: { failures: 1 } }, { upsert: true, new: true })
      .lean<SubscriptionHealthDoc>()
      .exec();
    if (!health || health.failures < FAILURES_BEFORE_PAUSE || (health.pausedUntil && !probe)) return;
    const round = health.pausedUntil ? health.round + 1 : 0;
    const pausedUntil = new Date(this.clock().getTime() + PAUSE_MS[Math.min(round, PAUSE_MS.length - 1)]!);
    await this.health.updateOne({ _id: subscriptionId }, { $set: { pausedUntil, round } });
  }
}
