import { z } from 'zod';
import { actorOf, requireAdmin, requireStaff, type Caller } from '@omo/lib/core/auth';
import { insertOnce } from '@omo/lib/core/claims';
import { BadUserInputError } from '@omo/lib/core/errors';
import { parseInput } from '@omo/lib/core/validation';
import { isDeepStrictEqual } from 'node:util';
import { deliveryMessagesSchema, type DeliveryMessage } from '../delivery/delivery-messages';
import type { Locale } from '../i18n/locale';
import { NOTIFICATION_DEFAULTS } from '../i18n/notifications.messages';
import { NOTIFICATION_KINDS, type NotificationKind, type NotificationModels, type NotificationRuleRevisionDoc, type NotificationRuleState } from './notification.model';

export type NotificationRuleView = NotificationRuleState;

export interface SetNotificationRuleInput {
  kind: NotificationKind;
  enabled?: boolean | null;
  /** In the delivery's shape ({ type: 'text' | 'flex', ... }), checked like a segmented message's. */
  messages?: unknown[] | null;
  /** The English variant (see NotificationRuleState.messagesEn); an empty list removes it. */
  messagesEn?: unknown[] | null;
  daysBefore?: number | null;
}

/** Who the notifications' deliveries are recorded as made by. */
export const NOTIFICATION_ACTOR = 'line:notifications';
export const MIN_DAYS_BEFORE = 1;
export const MAX_DAYS_BEFORE = 90;
/** Concurrent changes of one rule: each lost race re-reads and tries again. */
const MAX_ATTEMPTS = 10;

/** Until staff write their own: a rule is off, with wording (in both languages) ready to turn on. */
const DEFAULTS: Record<NotificationKind, Pick<NotificationRuleState, 'messages' | 'messagesEn' | 'daysBefore'>> = {
  TIER_UP: {
    messages: [{ type: 'text', text: NOTIFICATION_DEFAULTS.tierUp.ja }],
    messagesEn: [{ type: 'text', text: NOTIFICATION_DEFAULTS.tierUp.en, locale: 'en' }],
    daysBefore: null,
  },
  POINTS_EXPIRING: {
    messages: [{ type: 'text', text: NOTIFICATION_DEFAULTS.pointsExpiring.ja }],
    messagesEn: [{ type: 'text', text: NOTIFICATION_DEFAULTS.pointsExpiring.en, locale: 'en' }],
    daysBefore: 30,
  },
};

/** The English variant's texts are English: their placeholders are filled in English (tier names, dates). */
const inEnglish = (messages: DeliveryMessage[]): DeliveryMessage[] => messages.map((m) => (m.type === 'text' ? { ...m, locale: 'en' } : m));

/** The messages a member in this locale gets. */
export function ruleMessages(rule: Pick<NotificationRuleState, 'messages' | 'messagesEn'>, locale: Locale): DeliveryMessage[] {
  return locale === 'en' && rule.messagesEn ? rule.messagesEn : rule.messages;
}

const inputSchema = z.object({
  kind: z.enum(NOTIFICATION_KINDS),
  enabled: z.boolean().nullish(),
  messages: deliveryMessagesSchema.nullish(),
  messagesEn: deliveryMessagesSchema.nullish(),
  daysBefore: z.number().int().min(MIN_DAYS_BEFORE, `must be ${MIN_DAYS_BEFORE}-${MAX_DAYS_BEFORE}`).max(MAX_DAYS_BEFORE, `must be ${MIN_DAYS_BEFORE}-${MAX_DAYS_BEFORE}`).nullish(),
});

/**
 * A revision as the rule it states. One written before rules had an English variant has none: the default's English
 * when its messages are the default wording (staff only turned it on), else none (staff's own words for everyone).
 */
function stateOf({ _id: _id, messagesEn, ...state }: NotificationRuleRevisionDoc): NotificationRuleState {
  if (messagesEn !== undefined) return { ...state, messagesEn };
  const defaults = DEFAULTS[state.kind];
  return { ...state, messagesEn: isDeepStrictEqual(state.messages, defaults.messages) ? defaults.messagesEn : null };
}

/**
 * The automatic notifications' rules, owned by the line service: off until staff turn them on (the opt-in), with
 * their messages. Every change is an appended revision with who made it and when (line_notification_rule_revisions);
 * the newest revision is the rule.
 */
export class NotificationRuleService {
  constructor(
    private readonly deps: {
      models: Pick<NotificationModels, 'rules'>;
      clock: () => Date;
    },
  ) {}

  /** Staff: every kind, in a fixed order, set or not. */
  async list(caller: Caller): Promise<NotificationRuleView[]> {
    requireStaff(caller);
    return Promise.all(NOTIFICATION_KINDS.map((kind) => this.current(kind)));
  }

  /** The rule in force, for the jobs (the default when staff never set it). */
  async current(kind: NotificationKind): Promise<NotificationRuleView> {
    const latest = await this.deps.models.rules.findOne({ kind }).sort({ revision: -1 }).lean<NotificationRuleRevisionDoc>().exec();
    if (latest) return stateOf(latest);
    return { kind, enabled: false, ...DEFAULTS[kind], revision: 0, enabledAt: null, updatedAt: null, updatedBy: null };
  }

  /** Administrators: turns a rule on or off and/or changes its messages or daysBefore; omitted (or null) fields stay. */
  async set(caller: Caller, raw: SetNotificationRuleInput): Promise<NotificationRuleView> {
    const actor = actorOf(requireAdmin(caller));
    // an empty English variant removes it: checked apart, so a wrong one is refused like `messages` is
    const clearEn = Array.isArray(raw.messagesEn) && raw.messagesEn.length === 0;
    const input = parseInput(inputSchema, clearEn ? { ...raw, messagesEn: null } : raw);
    if (input.enabled == null && input.messages == null && input.messagesEn == null && !clearEn && input.daysBefore == null) {
      throw new BadUserInputError('Give enabled, messages, messagesEn or daysBefore', { field: 'input' });
    }
    if (input.kind !== 'POINTS_EXPIRING' && input.daysBefore != null) {
      throw new BadUserInputError('daysBefore is for POINTS_EXPIRING only', { field: 'daysBefore' });
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.current(input.kind);
      const now = this.deps.clock();
      const enabled = input.enabled ?? current.enabled;
      const next: NotificationRuleState = {
        kind: input.kind,
        enabled,
        messages: input.messages ?? current.messages,
        // new Japanese words without English ones: everyone gets the new words, rather than English members the old
        messagesEn: clearEn ? null : input.messagesEn ? inEnglish(input.messagesEn) : input.messages != null ? null : current.messagesEn,
        daysBefore: input.daysBefore ?? current.daysBefore,
        revision: current.revision + 1,
        enabledAt: !enabled ? null : current.enabled ? current.enabledAt : now,
        updatedAt: now,
        updatedBy: actor,
      };
      if (await insertOnce(this.deps.models.rules, { _id: `${input.kind}:${next.revision}`, ...next })) return next;
    }
    throw new Error(`Notification rule ${input.kind} kept changing under ${MAX_ATTEMPTS} attempts`);
  }
}
