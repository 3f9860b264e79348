import { z } from 'zod';
import type { CurrentMemberLookup } from '@omo/lib/core/customer-status';
import { AppError, NotFoundError } from '@omo/lib/core/errors';
import { contract, instant, route } from '@omo/lib/contracts/contract';
import { membersConditionSchema, segmentFilterRoute } from '@omo/lib/contracts/segment-filter';
import type { PartnerEventSink } from '@omo/lib/events/partner-event-publisher';
import { partnerEventSchema } from '@omo/lib/events/partner-events';
import { internalClient, type InternalCallerOptions, type InternalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';

const memberStatus = z.enum(['ACTIVE', 'MERGED', 'WITHDRAWN']);
const memberRef = z.object({ memberId: z.string(), status: memberStatus });

/** Member ids per call of `current` and `exists`. */
const MAX_IDS = 1000;
const idsRequest = z.object({ ids: z.array(z.string()).max(MAX_IDS) });
const idsRefused = { message: `ids must be a list of at most ${MAX_IDS} member ids`, field: 'ids' };

/** A contact given as anything but a string counts as not given, as it always has. */
const contact = z.string().nullish().catch(null);
/** A customer field Shopify may leave out or send as null: null either way. */
const optional = z.string().nullish().catch(null).transform((value) => value ?? null);

/** A birthday as the member gave it: YYYY-MM-DD (a real calendar date, not in the future; members checks). */
const birthday = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

/** Where a consent choice was made: the LINE member page, staff, a POS register, an online shop, or LEGACY (see below). */
export const consentSource = z.enum(['LINE', 'STAFF', 'POS', 'ONLINE', 'LEGACY']);

/**
 * A member as they see and change it on the LINE member page. `marketingConsent`: whether segment (marketing)
 * messages may be sent to them. Members registered before consent was recorded have no recorded choice: they count
 * as consented with source LEGACY and `updatedAt` null (they became LINE friends of the account, LINE's own opt-in
 * for its messages; they withdraw on the member page). Every member registered since records an explicit choice.
 */
const memberProfile = z.object({
  memberId: z.string(),
  memberCode: z.string().min(1),
  displayName: z.string(),
  status: memberStatus,
  birthday: birthday.nullable(),
  marketingConsent: z.object({ granted: z.boolean(), source: consentSource, updatedAt: instant.nullable() }),
});
export type MemberProfile = z.infer<typeof memberProfile>;

/** A LINE user id as LINE writes it: U and 32 hex digits. */
export const lineUserId = z.string().regex(/^U[0-9a-f]{32}$/, 'must be a LINE user id');

/**
 * The members service's internal routes. Ids in requests are any ObjectId spelling the service can read (an id
 * it cannot read is answered as no member, not refused); ids in answers are lower case.
 */
export const membersContract = contract('members', {
  /** purchases and points: the member a scanned card code belongs to (a merged member's code leads to the survivor). */
  resolveCode: route('/internal/members/resolve-code', z.object({ code: z.string() }), memberRef, { message: 'code is required', field: 'code' }),
  /**
   * purchases: an online order's customer: the active member its Shopify customer is linked to (when the shop's
   * ONLINE store id and the customer id are given), else by e-mail, else phone (null: none of them leads to one).
   */
  findByContact: route(
    '/internal/members/find-by-contact',
    z
      .object({ email: contact, phone: contact, storeId: contact, customerId: contact })
      .catch({ email: null, phone: null, storeId: null, customerId: null }),
    z.object({ memberId: z.string().nullable() }),
  ),
  /** Where each member's points and purchases go now: a merged member's survivor (null: no such member). */
  current: route('/internal/members/current', idsRequest, z.object({ current: z.record(z.string(), memberRef.nullable()) }), idsRefused),
  /** line's chat: a linked member's card (a link to a merged member leads to the survivor); NOT_FOUND when there is none. */
  card: route(
    '/internal/members/card',
    z.object({ memberId: z.string() }),
    z.object({ memberId: z.string(), memberCode: z.string().min(1), displayName: z.string(), status: memberStatus }),
    { message: 'memberId is required', field: 'memberId' },
  ),
  /**
   * line's account-link page: does this member code go with this e-mail or phone? One answer (NOT_FOUND) for an
   * unknown code, a wrong contact and an inactive member, so the page cannot be used to probe which one it was.
   * The code is read as at a register: ours, else an imported old card's.
   */
  verifyIdentity: route(
    '/internal/members/verify-identity',
    z
      .object({ memberCode: z.string(), email: z.string().optional().catch(undefined), phone: z.string().optional().catch(undefined) })
      .refine((request) => request.email !== undefined || request.phone !== undefined),
    z.object({ memberId: z.string() }),
    { message: 'memberCode and an e-mail address or phone number are required', field: 'memberCode' },
  ),
  /** points and purchases: which of these member ids exist (in any state). */
  exists: route('/internal/members/exists', idsRequest, z.object({ existing: z.array(z.string()) }), idsRefused),
  /**
   * purchases' Shopify webhooks (customers/create, customers/update): keep the member of a Shopify customer in
   * step. members decides: the member already linked to this customer, else the active member with its e-mail or
   * phone (then linked), else a new ONLINE member (with the sign-up bonus). A contact another member holds is not
   * taken: it is named in `conflicts` and the rest is applied.
   */
  upsertOnlineCustomer: route(
    '/internal/members/upsert-online-customer',
    z.object({
      /** The ONLINE store (purchases' id) whose shop the customer belongs to. */
      storeId: z.string().min(1),
      /** Shopify's customer id, as decimal digits. */
      customerId: z.string().regex(/^\d{1,30}$/),
      email: optional,
      phone: optional,
      firstName: optional,
      lastName: optional,
      /** Shopify's customer state (enabled, disabled, invited, declined); kept with the link. */
      state: optional,
      /** Shopify's email / SMS marketing consent states when the payload has them (API versions before 2025-01). */
      emailMarketing: optional,
      smsMarketing: optional,
      /**
       * Shopify's `updated_at` of the customer (ISO 8601): Shopify does not deliver in order, so an update older
       * than the last one applied is not applied (`stale`). Optional: without it an update is applied as it comes.
       */
      updatedAt: optional,
    }),
    z.object({
      memberId: z.string(),
      outcome: z.enum(['created', 'linked', 'updated', 'unchanged', 'withdrawn', 'stale']),
      conflicts: z.array(z.enum(['email', 'phone'])),
    }),
  ),
  /**
   * purchases (Smaregi connector, issue 17): a customer created or edited at a Smaregi register, as a member. The
   * member is, in this order: the one whose member code is the customer's customerCode (a card we issued); the one
   * this customer is linked to (`smaregi:<contractId>:<customerId>`, claimed by insert); else a new member,
   * registered in store at `storeId`, with the sign-up bonus. Phone and e-mail are normalised; one another member
   * holds is not taken and not merged: that member is named in `duplicateOf` and the pair is flagged for the staff
   * merge flow. A withdrawn member is not brought back; an edit older than the last one applied changes nothing.
   */
  upsertRegisterCustomer: route(
    '/internal/members/upsert-register-customer',
    z.object({
      contractId: z.string().min(1).max(40),
      /** Smaregi's customerId (digits). */
      customerId: z.string().regex(/^\d{1,20}$/),
      customerCode: optional,
      /** Our store the customer was registered at (the contract's mapping of its storeId), if known. */
      storeId: optional,
      lastName: optional,
      firstName: optional,
      lastKana: optional,
      firstKana: optional,
      /** mobileNumber, else phoneNumber, as Smaregi has it. */
      phone: optional,
      email: optional,
      /** YYYY-MM-DD, as Smaregi's birthDate. */
      birthday: optional,
      /** Smaregi's updDateTime (ISO 8601 with offset); an edit older than the last one applied is `stale`. */
      updatedAt: optional,
    }),
    z.object({
      memberId: z.string(),
      memberCode: z.string(),
      outcome: z.enum(['created', 'code', 'linked', 'updated', 'unchanged', 'withdrawn', 'stale']),
      /** A member holding this customer's phone or e-mail, flagged with this one as a likely duplicate. */
      duplicateOf: z.string().nullable(),
    }),
  ),
  /** purchases (Shopify discount codes): the Shopify customers this member is, per ONLINE store (none: not linked). */
  shopifyCustomers: route(
    '/internal/members/shopify-customers',
    z.object({ memberId: z.string() }),
    z.object({ customers: z.array(z.object({ storeId: z.string(), customerId: z.string() })) }),
    { message: 'memberId is required', field: 'memberId' },
  ),
  /**
   * line's member page: someone not yet a member joins from LINE. One member per LINE user: the first join creates
   * an ONLINE member (with the sign-up bonus, consent recorded with source LINE) and a repeat with the same LINE
   * user id answers that member with `created: false` (a retry after a lost answer), whatever else it carries.
   * Refusals, nothing written: BAD_USER_INPUT (a field, named in `field`), ALREADY_EXISTS when the e-mail or phone
   * belongs to another member (the page offers linking that membership instead; no member is named).
   */
  joinFromLine: route(
    '/internal/members/join-line',
    z.object({
      lineUserId,
      displayName: z.string(),
      email: z.string().nullish().transform((value) => value ?? null),
      phone: z.string().nullish().transform((value) => value ?? null),
      birthday: birthday.nullish().transform((value) => value ?? null),
      marketingConsent: z.boolean(),
      /** The page shows the terms and the join button is refused without this box ticked. */
      termsAccepted: z.literal(true),
    }),
    z.object({ memberId: z.string(), memberCode: z.string().min(1), created: z.boolean() }),
  ),
  /** line's member page: the member's card, birthday and consent (a merged member's id leads to the survivor); NOT_FOUND when none. */
  profile: route('/internal/members/profile', z.object({ memberId: z.string() }), memberProfile, { message: 'memberId is required', field: 'memberId' }),
  /**
   * line's member page: the member changes their birthday (null removes it) or their marketing consent; an
   * omitted field stays. Answers the profile after the change. BAD_USER_INPUT for an impossible or future date.
   */
  updateProfile: route(
    '/internal/members/profile/update',
    z.object({ memberId: z.string(), birthday: birthday.nullable().optional(), marketingConsent: z.boolean().optional(), source: consentSource.exclude(['LEGACY']) }),
    memberProfile,
  ),
  /**
   * points' birthday bonus job: the ACTIVE members whose birthday falls in `month` (1-12), by id, a page at a
   * time: pass the last page's `next` as `after` until it is null. `priorMemberIds`: the other memberships of the
   * same person whose bonus counts as theirs (the members merged into this one, at any depth, and the earlier,
   * withdrawn memberships of the LINE user who joined again); optional, absent from older members services.
   */
  birthdays: route(
    '/internal/members/birthdays',
    z.object({
      month: z.number().int().min(1).max(12),
      after: z.string().optional(),
      limit: z.number().int().min(1).max(1000).default(500),
      /** Only members registered before this instant (points' late-birthday catch-up: members of the month it looks back on). */
      registeredBefore: instant.optional(),
    }),
    z.object({
      members: z.array(z.object({ memberId: z.string(), birthday, priorMemberIds: z.array(z.string()).optional() })),
      next: z.string().nullable(),
    }),
  ),
  segmentFilter: segmentFilterRoute(membersConditionSchema),
  /**
   * points and purchases (their outboxes, `partner-event:<id>`): a partner event (lib/events/partner-events.ts),
   * stored once by its id and delivered to every active webhook subscription of its topic. `accepted: false`: no
   * subscription listens to it, nothing was stored. Its `order` is the publisher's own position for the member
   * (`publisherOrder`: a sequence it keeps, else its clock's time and the id); a publisher without holes in a
   * topic's positions also names the one before, and members holds the event while that one may still come.
   */
  publishPartnerEvent: route('/internal/partner-events', partnerEventSchema, z.object({ accepted: z.boolean(), deliveries: z.number().int().min(0) })),
  /** points and purchases: the topics active webhook subscriptions listen to (publishers keep it TOPICS_CACHE_MS). */
  partnerEventTopics: route('/internal/partner-events/topics', z.object({}), z.object({ topics: z.array(z.string()) })),
});

/** A Shopify customer as members reads it (every field present, null when Shopify sent none). */
export type OnlineCustomer = z.output<typeof membersContract.routes.upsertOnlineCustomer.request>;
export type OnlineCustomerOutcome = z.infer<typeof membersContract.routes.upsertOnlineCustomer.response>;

export type MemberCard = z.infer<typeof membersContract.routes.card.response>;

/** The member lookups other services make, as one caller's client (points and purchases name themselves). */
export class MembersClient {
  protected readonly members: InternalClient<typeof membersContract>;

  constructor(options: InternalCallerOptions) {
    this.members = internalClient(membersContract, options);
  }

  /** The member a scanned card code belongs to (a merged member's code gives the survivor; a withdrawn one, NOT_FOUND). */
  async resolveCode(code: string): Promise<string> {
    return (await this.members.resolveCode({ code })).memberId;
  }

  /** Whether members knows this member id (in any state). */
  async exists(memberId: string): Promise<boolean> {
    return (await this.members.exists({ ids: [memberId] })).existing.includes(memberId);
  }

  /** The member whose points and purchases this member id means now (a merged member's survivor). */
  async currentMemberId(memberId: string): Promise<string> {
    return (await this.current(memberId)).memberId;
  }

  /** Like currentMemberId, for something new (a purchase, a preview): a withdrawn membership takes none. */
  async activeMemberId(memberId: string): Promise<string> {
    const now = await this.current(memberId);
    if (now.status === 'WITHDRAWN') throw new AppError('This member’s membership was withdrawn', 'NOT_FOUND');
    return now.memberId;
  }

  /** Where this member id is now (a merged member's survivor) and in which state; NOT_FOUND when members knows no such id. */
  async current(memberId: string): Promise<{ memberId: string; status: string }> {
    const { current } = await this.members.current({ ids: [memberId] });
    const now = current[memberId];
    if (!now) throw new NotFoundError('Member');
    return now;
  }
}

/** Asks the members service where a customer's membership is now (its own subgraph answers from its data instead). */
export function currentMemberClient(directory: ServiceDirectory, internalSecret: string, service: string): CurrentMemberLookup {
  const members = internalClient(membersContract, { directory, internalSecret, service });
  return async (memberId) => (await members.current({ ids: [memberId] })).current[memberId] ?? null;
}

/** Partner events published by another service, through members' internal routes. */
export function remotePartnerEventSink(options: InternalCallerOptions): PartnerEventSink {
  const members = internalClient(membersContract, options);
  return {
    topics: async () => (await members.partnerEventTopics({})).topics,
    publish: (event) => members.publishPartnerEvent(event),
  };
}

/**
 * POST /oauth/token, members' public OAuth 2 token endpoint (client credentials), here and at the gateway in front
 * of it: a POS key (the client secret) exchanged for a short-lived store-scoped token. Not an internal route: the
 * key is the credential, and errors are OAuth's ({ error, error_description }).
 */
export const POS_TOKEN_PATH = '/oauth/token';

export const posTokenRequestSchema = z.object({ grant_type: z.literal('client_credentials'), client_secret: z.string().min(1) });
export type PosTokenRequest = z.infer<typeof posTokenRequestSchema>;

export const posTokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.literal('Bearer'),
  /** Seconds. */
  expires_in: z.number().int().positive(),
});
export type PosAccessToken = z.infer<typeof posTokenResponseSchema>;
