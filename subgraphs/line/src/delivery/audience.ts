/** A linked LINE user a delivery may go to; blocked ones are counted, never sent to. */
export interface Recipient {
  memberId: string;
  lineUserId: string;
  blocked: boolean;
}

/** What the delivery is sent to: a saved segment or an inline definition (opaque JSON here; stored on the job). */
export interface AudienceSpec {
  segmentId?: string;
  definition?: unknown;
}

/**
 * Implemented by segment evaluation: the linked LINE users matching the spec, blocked ones included. Throw an
 * AppError for a problem that will not go away (segment deleted, definition invalid): the delivery FAILS with its
 * message. Anything else (a service unreachable) is retried with backoff.
 */
export interface AudienceSource {
  resolve(spec: AudienceSpec): Promise<Recipient[]>;
}
