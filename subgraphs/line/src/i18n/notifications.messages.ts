import type { Text } from './locale';

/**
 * The notifications' default wording, until staff write their own (setNotificationRule). Placeholders as in
 * src/delivery/delivery-messages.ts, filled in the message's language ({tier}: "ゴールド" / "Gold").
 */
export const NOTIFICATION_DEFAULTS = {
  tierUp: {
    ja: '{displayName}さま、会員ランクが{tier}になりました。いつもご利用いただきありがとうございます。',
    en: '{displayName}, you have reached the {tier} tier. Thank you for shopping with us.',
  },
  pointsExpiring: {
    ja: '{displayName}さま、{expiringPoints}ポイントが{expiresAt}に失効します。お早めにご利用ください。',
    en: '{displayName}, {expiringPoints} points expire on {expiresAt}. Use them before then.',
  },
} satisfies Record<string, Text>;
