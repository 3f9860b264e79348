/** A linked LINE user a delivery may go to; blocked ones and those without consent are counted, never sent to. */
export interface Recipient {
  memberId: string;
  lineUserId: string;
  blocked: boolean;
  /** A marketing message's recipient whose member has not consented to marketing (never set for a notification). */
  noConsent: boolean;
}

/**
 * What the delivery is sent to, one of: a saved segment, an inline definition (opaque JSON here; stored on the job),
 * or named members (a notification to the members an event concerns).
 */
export interface AudienceSpec {
  segmentId?: string;
  definition?: unknown;
  memberIds?: string[];
}

/** Named members per delivery: a day's expiring-points notices stay one document of a few MB at most. */
export const MAX_AUDIENCE_MEMBERS = 100_000;

/**
 * Implemented by segment evaluation: the linked LINE users matching the spec, blocked ones and (for a segment)
 * those without marketing consent included and marked. Throw an
 * AppError for a problem that will not go away (segment deleted, definition invalid): the delivery FAILS with its
 * message. Anything else (a service unreachable) is retried with backoff.
 */
export interface AudienceSource {
  resolve(spec: AudienceSpec): Promise<Recipient[]>;
  /**
   * Which of these members consent to marketing messages now: asked again just before a segment's batch is first
   * sent, so a member who withdrew since the start is skipped. Throws when that cannot be known (retried).
   */
  consenting(memberIds: string[]): Promise<Set<string>>;
}
