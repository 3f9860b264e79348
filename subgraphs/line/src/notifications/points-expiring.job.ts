import { mapLimit } from '@omo/lib/core/concurrency';
import { insertOnce } from '@omo/lib/core/claims';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { DAY_MS, JST_OFFSET_MS } from '@omo/lib/core/time';
import { fetchAccountSummary, type MemberAccountDeps } from '../member-view/member-account.client';
import { MAX_AUDIENCE_MEMBERS } from '../delivery/audience';
import type { DeliveryService } from '../delivery/delivery.service';
import type { MessageDelivery } from '../delivery/delivery-views';
import type { SegmentEvaluator } from '../segments/segment-evaluator';
import { LOCALES, type Locale } from '../i18n/locale';
import type { LineUserModel } from '../webhook/line-user.model';
import { localesOf } from './member-locales';
import type { ExpiryNoticeDoc, ExpiryRunDoc, NotificationModels } from './notification.model';
import { NOTIFICATION_ACTOR, ruleMessages, type NotificationRuleView } from './notification-rules.service';

/** The day's notices go out from this hour (JST), not at midnight; quiet hours still apply on top. */
export const SEND_HOUR_JST = 10;
/** Account lookups in flight at once. */
const LOOKUP_CONCURRENCY = 8;
/** Notice ids per read of line_expiry_notices. */
const CHUNK = 5_000;

export interface PointsExpiringRun {
  /** The JST day the run was for, or null when it was not time (rule off, before SEND_HOUR_JST, done already). */
  day: string | null;
  /** The day's (first) delivery: the Japanese one, or the English one when nobody reads Japanese. */
  deliveryId: string | null;
  /** Members the day's deliveries are for. */
  members: number;
}

/** "2030-01-10" and the hour, on a clock in Japan. */
function jstDay(at: Date): { day: string; hour: number } {
  const local = new Date(at.getTime() + JST_OFFSET_MS);
  return { day: local.toISOString().slice(0, 10), hour: local.getUTCHours() };
}

/**
 * POINTS_EXPIRING: once a JST day, from SEND_HOUR_JST, one delivery per language (key `points-expiring:<day>` in
 * Japanese, `points-expiring:<day>:en` in English) to the linked, unblocked members whose soonest points expire
 * within `daysBefore` days and who were not told of that expiry yet.
 * A member hears of each expiry date once, not every day until it: the notice (member, expiry) is recorded with
 * the delivery, so the next date is news again, and so is a date that moved (points that expire after the last
 * purchase). Safe to run twice or concurrently: the deliveries' keys make one delivery a day per language, notices and the day's
 * run are unique inserts, and a run that died half-way is finished by the next run that day.
 */
export class PointsExpiringNotifier {
  constructor(
    private readonly deps: MemberAccountDeps & {
      evaluator: SegmentEvaluator;
      deliveries: Pick<DeliveryService, 'createOnce' | 'findByKey'>;
      models: Pick<NotificationModels, 'expiryNotices' | 'expiryRuns'>;
      users: LineUserModel;
      clock: () => Date;
    },
  ) {}

  async run(rule: NotificationRuleView): Promise<PointsExpiringRun> {
    const idle = { day: null, deliveryId: null, members: 0 };
    if (!rule.enabled || rule.daysBefore === null) return idle;
    const { day, hour } = jstDay(this.deps.clock());
    if (hour < SEND_HOUR_JST) return idle;
    const done = await this.deps.models.expiryRuns.findById(day).lean<ExpiryRunDoc>().exec();
    if (done) return idle;

    const { at, matches } = await this.deps.evaluator.evaluate({ pointsExpiring: { withinDays: rule.daysBefore, minPoints: 1 } });
    const until = at.getTime() + rule.daysBefore * DAY_MS;
    const soonest = await this.soonestExpiries(matches.filter((c) => !c.blocked).map((c) => c.memberId));
    const due = [...soonest]
      .filter(([, expiresAt]) => expiresAt.getTime() <= until)
      .map(([memberId, expiresAt]) => ({ _id: `${memberId}:${expiresAt.toISOString()}`, memberId, expiresAt }));
    const told = await this.noticed(due.map((n) => n._id));
    const news = due.filter((n) => !told.has(n._id)).slice(0, MAX_AUDIENCE_MEMBERS);

    const lineUserOf = new Map(matches.map((c) => [c.memberId, c.lineUserId]));
    const locales = await localesOf(this.deps.users, news.flatMap((n) => lineUserOf.get(n.memberId) ?? []));
    const localeOfMember = (memberId: string) => locales.get(lineUserOf.get(memberId) ?? '') ?? 'ja';

    let deliveryId: string | null = null;
    let members = 0;
    let left = news;
    const keyOf = (locale: Locale) => (locale === 'ja' ? `points-expiring:${day}` : `points-expiring:${day}:${locale}`);
    const counted = async (delivery: MessageDelivery) => {
      // notices for everyone in it, whichever group they are in now, and none of them goes into another language's
      // delivery: so nobody hears of one expiry twice
      const inDelivery = new Set(delivery.audience.memberIds ?? []);
      await this.insertNotices(left.filter((n) => inDelivery.has(n.memberId)).map((n) => ({ ...n, day, deliveryId: delivery.id })));
      left = left.filter((n) => !inDelivery.has(n.memberId));
      members += inDelivery.size;
      return delivery.id;
    };
    // An earlier run today may have made some deliveries and died before noting whom they tell, and members may
    // have changed language since. Every language's existing delivery is read first, even one whose group is empty
    // now, so its members are noted as told before any delivery of today is made for the rest.
    const made = new Map<Locale, string>();
    for (const locale of LOCALES) {
      const existing = await this.deps.deliveries.findByKey(keyOf(locale));
      if (existing) made.set(locale, await counted(existing));
    }
    for (const locale of LOCALES) {
      const group = left.filter((n) => localeOfMember(n.memberId) === locale);
      // a language's delivery of today is made once: who is left of its group is told on the next day
      if (!made.has(locale) && group.length > 0) {
        const delivery = await this.deps.deliveries.createOnce({
          spec: { memberIds: group.map((n) => n.memberId) },
          messages: ruleMessages(rule, locale),
          idempotencyKey: keyOf(locale),
          actor: NOTIFICATION_ACTOR,
        });
        made.set(locale, await counted(delivery));
      }
      deliveryId ??= made.get(locale) ?? null;
    }
    await insertOnce(this.deps.models.expiryRuns, { _id: day, at: this.deps.clock(), deliveryId, members });
    return { day, deliveryId, members };
  }

  /** Each member's soonest expiry, as their points account shows it (members with none are left out). */
  private async soonestExpiries(memberIds: string[]): Promise<Map<string, Date>> {
    const found = await mapLimit(memberIds, LOOKUP_CONCURRENCY, async (memberId): Promise<[string, Date] | null> => {
      const soonest = (await fetchAccountSummary(this.deps, memberId)).expiring[0];
      return soonest ? [memberId, soonest.expiresAt] : null;
    });
    return new Map(found.filter((entry) => entry !== null).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  private async noticed(ids: string[]): Promise<Set<string>> {
    const told = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const docs = await this.deps.models.expiryNotices
        .find({ _id: { $in: ids.slice(i, i + CHUNK) } }, { _id: 1 })
        .lean<{ _id: string }[]>()
        .exec();
      for (const doc of docs) told.add(doc._id);
    }
    return told;
  }

  /**
   * Not insertOnce: thousands of notices go in one unordered insertMany, each one its own unique insert, and the
   * duplicates (members an earlier run today already recorded) fail alone while the rest are written.
   */
  private async insertNotices(notices: ExpiryNoticeDoc[]): Promise<void> {
    try {
      await this.deps.models.expiryNotices.insertMany(notices, { ordered: false });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}
