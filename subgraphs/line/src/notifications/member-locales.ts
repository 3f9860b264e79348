import { localeOf, type Locale } from '../i18n/locale';
import type { LineUserModel } from '../webhook/line-user.model';

/** LINE users per read of line_users. */
const CHUNK = 5_000;

/**
 * Each LINE user's locale, from the language the webhook stored (src/webhook/user-language.ts); Japanese for a user
 * whose language was never read. Notifications do not ask LINE themselves: thousands of profile calls would compete
 * with the chat's for LINE's rate limit, and linking stores the language it reads with the name (linking/link-claims.ts).
 */
export async function localesOf(users: LineUserModel, lineUserIds: string[]): Promise<Map<string, Locale>> {
  const locales = new Map<string, Locale>();
  for (let i = 0; i < lineUserIds.length; i += CHUNK) {
    const docs = await users
      .find({ _id: { $in: lineUserIds.slice(i, i + CHUNK) } }, { language: 1 })
      .lean<{ _id: string; language?: string | null }[]>()
      .exec();
    for (const doc of docs) locales.set(doc._id, localeOf(doc.language));
  }
  return locales;
}
