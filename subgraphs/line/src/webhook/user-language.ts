import { isDuplicateKeyError } from '@omo/lib/core/db';
import type { Logger } from '@omo/lib/core/logger';
import { DAY_MS } from '@omo/lib/core/time';
import { localeOf, type Locale } from '../i18n/locale';
import type { LineClient } from '../line-api/line.client';
import type { LineUserDoc, LineUserModel } from './line-user.model';

/** A language read from LINE is used this long; then it is read again (people change their LINE's language rarely). */
export const LANGUAGE_MAX_AGE_MS = 3 * DAY_MS;
/** After asking LINE (answered or not), the next ask for that user waits this long: no retry storm when LINE is down. */
export const LANGUAGE_RETRY_MS = 10 * 60_000;
/** The reply waits at most this long for the profile; a slower LINE means a Japanese answer now, not a late one. */
export const PROFILE_TIMEOUT_MS = 2_000;

type LanguageFields = Pick<LineUserDoc, 'language' | 'languageReadAt' | 'languageTriedAt'>;

/**
 * The language to answer a LINE user in. Webhook events do not carry it; the profile does (GET
 * /v2/bot/profile/{userId} → `language`), so it is read when a user follows or first writes, kept on line_users,
 * and read again once older than LANGUAGE_MAX_AGE_MS. When LINE cannot answer, the user is answered in the
 * language known before (Japanese for a new user) and LINE is asked again on a later event, after
 * LANGUAGE_RETRY_MS; a failure never fails the event.
 */
export class UserLanguages {
  constructor(
    private readonly deps: {
      users: LineUserModel;
      client: Pick<LineClient, 'profileLanguage'>;
      clock: () => Date;
      logger: Logger;
    },
  ) {}

  /** The locale for an event from this user, asking LINE when what is stored is missing or old. */
  async localeFor(userId: string): Promise<Locale> {
    const user = await this.read(userId);
    const now = this.deps.clock();
    const age = (at: Date | undefined) => (at ? now.getTime() - at.getTime() : Infinity);
    if (age(user?.languageReadAt) < LANGUAGE_MAX_AGE_MS || age(user?.languageTriedAt) < LANGUAGE_RETRY_MS) return localeOf(user?.language);
    let language: string | null;
    try {
      language = await this.deps.client.profileLanguage(userId, PROFILE_TIMEOUT_MS);
    } catch {
      // logged by the client; the try is recorded so the next events do not ask again at once
      await this.store(userId, { languageTriedAt: now });
      return localeOf(user?.language);
    }
    await this.store(userId, { language, languageReadAt: now, languageTriedAt: now });
    return localeOf(language);
  }

  /** The locale stored for a user, without asking LINE (for group chats, whose members LINE's profile may not know). */
  async storedLocale(userId: string | null): Promise<Locale> {
    return localeOf(userId ? (await this.read(userId))?.language : null);
  }

  private read(userId: string): Promise<LanguageFields | null> {
    return this.deps.users.findById(userId, { language: 1, languageReadAt: 1, languageTriedAt: 1 }).lean<LanguageFields>().exec();
  }

  private store(userId: string, fields: LanguageFields): Promise<void> {
    return storeLanguage(this.deps, userId, fields);
  }
}

/**
 * Keeps what LINE said of a user's language on line_users, for whoever read the profile (the chat here, linking
 * when it reads the name). A user seen for the first time gets a document with no friend status (statusAt 0, so
 * any follow or unfollow event overrides it). A failed write is logged and costs only a later ask: the answer does
 * not wait for it.
 */
export async function storeLanguage(deps: { users: LineUserModel; clock: () => Date; logger: Logger }, userId: string, fields: LanguageFields): Promise<void> {
  const update = { $set: { ...fields, updatedAt: deps.clock() } };
  try {
    try {
      await deps.users.updateOne({ _id: userId }, { ...update, $setOnInsert: { statusAt: 0 } }, { upsert: true });
    } catch (error) {
      // a follow event inserted the user at the same moment: the document exists now
      if (!isDuplicateKeyError(error)) throw error;
      await deps.users.updateOne({ _id: userId }, update);
    }
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not store the LINE user’s language');
  }
}
