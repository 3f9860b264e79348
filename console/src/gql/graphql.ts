/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** What a reward's coupon gives. */
export type BenefitKind =
  /** One item free (sku). */
  | 'FREE_ITEM'
  /** A percentage off the sale (percentOff), at most capYen yen when it has a cap (capYen null: no cap). */
  | 'PERCENT_OFF'
  /** A fixed number of yen off the sale (yenOff). */
  | 'YEN_OFF';

/**
 * Members by the month of their birthday (a date in Japan, which members give optionally; members without one never
 * match). Give months or currentMonth, one of them.
 */
export type BirthdayMonthInput = {
  /**
   * true: born in the month, in Japan (JST), of the moment the segment is evaluated, e.g. a saved "birthday this month"
   * segment sent on 1 May 00:30 JST selects May birthdays. A delivery is evaluated when it starts (its scheduledAt, or
   * the end of quiet hours), a preview when it runs. Only true is accepted: for "not this month", put the condition
   * under not.
   */
  currentMonth?: boolean | null | undefined;
  /** Born in one of these months (1 to 12 of them, each 1 = January to 12 = December). */
  months?: Array<number> | null | undefined;
};

/**
 * Members who bought a line of one of some categories (as the register sent it on the purchase line, compared
 * ignoring case and width) in a completed purchase, refunded since or not.
 */
export type BoughtCategoryConditionInput = {
  /** The categories (1 to 50), e.g. ["tea"]. */
  categories: Array<string>;
  /** Only purchases in this period count, e.g. { fromDaysAgo: 30 }; omitted: all time. */
  window?: TimeWindowInput | null | undefined;
};

/** Whether a campaign multiplies earned points or adds a fixed bonus. */
export type CampaignKind =
  /** Adds bonusPoints to each qualifying purchase. When several apply, all their bonuses add up. */
  | 'FIXED_BONUS'
  /** Multiplies the base points (e.g. 200 = double points). When several apply, the highest multiplier wins. */
  | 'MULTIPLIER';

/** Where a purchase or a point change happened. */
export type Channel =
  /** On the EC site or app. */
  | 'ONLINE'
  /** At a register in a physical or pop-up store. */
  | 'STORE';

/** Which channels a member has bought through. */
export type ChannelUsage =
  /** Bought both in stores and online (in the period, if one is given). */
  | 'BOTH'
  /** Bought online, never in a store (in the period, if one is given). */
  | 'ONLINE_ONLY'
  /** Bought in stores, never online (in the period, if one is given). */
  | 'STORE_ONLY';

/** Members by the channels they bought through. */
export type ChannelUsageConditionInput = {
  /** Store only, online only, or both. */
  usage: ChannelUsage;
  /** Only purchases in this period count; omitted: all time. */
  window?: TimeWindowInput | null | undefined;
};

/** Where a coupon is in its life. */
export type CouponState =
  /** Cancelled by the member or staff: its points were given back. */
  | 'CANCELLED'
  /** Past expiresAt unused: its points were given back. */
  | 'EXPIRED'
  /** Issued, usable until expiresAt. */
  | 'ISSUED'
  /**
   * Used by a purchase (purchaseId): its points are spent. ISSUED again only if that purchase is voided, or fully
   * refunded when its reward says restoreCouponOnRefund.
   */
  | 'USED';

/** A POS key to issue. */
export type CreateApiKeyInput = {
  /** What the key is for, e.g. a register or an integrator (1-100 characters). */
  label: string;
  /**
   * The stores the key may act at (1-100). Each must exist; a store's code (e.g. "S001") is accepted in place of its
   * id.
   */
  storeIds: Array<string | number>;
};

/** A new campaign. */
export type CreateCampaignInput = {
  /** FIXED_BONUS only: points, 1 to 1,000,000. */
  bonusPoints?: number | null | undefined;
  /** Channels where it applies (default all). */
  channels?: Array<Channel> | null | undefined;
  /** End (exclusive); must be after startsAt. */
  endsAt: string;
  /** Multiplier or fixed bonus. */
  kind: CampaignKind;
  /** Minimum purchase amount in yen (default 0). */
  minAmount?: number | null | undefined;
  /** MULTIPLIER only: percent, > 100 and at most 10000. */
  multiplierPercent?: number | null | undefined;
  /** Name (1-100 characters). */
  name: string;
  /** Start (inclusive). */
  startsAt: string;
  /** Stores where it applies (default all). */
  storeIds?: Array<string | number> | null | undefined;
  /** Tiers it applies to (default all). */
  tiers?: Array<Tier> | null | undefined;
};

/** A new segment. */
export type CreateSegmentInput = {
  /** Who belongs to it. */
  definition: SegmentDefinitionInput;
  /** A note for staff (at most 1000 characters). */
  description?: string | null | undefined;
  /** Its name (1-100 characters). */
  name: string;
};

/** A new store. */
export type CreateStoreInput = {
  /** City. */
  city?: string | null | undefined;
  /** Pop-up closing (after opensAt). */
  closesAt?: string | null | undefined;
  /** Unique short code (1-20 letters, digits, '-' or '_'). */
  code: string;
  /** Physical, online or pop-up. */
  kind: StoreKind;
  /** Name (1-100 characters). */
  name: string;
  /** Pop-up opening. */
  opensAt?: string | null | undefined;
  /** Prefecture. */
  prefecture?: string | null | undefined;
  /**
   * ONLINE stores fed by Shopify: the app's Admin API access token for the shop (write-only, at least 16
   * characters; needs write_discounts), with which coupons become the shop's discount codes.
   */
  shopifyAdminAccessToken?: string | null | undefined;
  /**
   * PHYSICAL and POPUP stores: the Shopify POS location ids (digits, at most 50) whose orders are this store's
   * purchases; each location feeds one store.
   */
  shopifyLocationIds?: Array<string> | null | undefined;
  /** ONLINE stores fed by Shopify: the shop's myshopify.com domain. */
  shopifyShopDomain?: string | null | undefined;
  /** ONLINE stores fed by Shopify: the app's client secret that signs webhooks (write-only). */
  shopifyWebhookSecret?: string | null | undefined;
};

/** When points expire. */
export type ExpiryMode =
  /**
   * All of a member's points expire inactivityDays after their last purchase, at the end of that day (JST); every
   * purchase extends them all.
   */
  | 'AFTER_LAST_PURCHASE'
  /** Each lot of earned points expires lotValidityDays after it was earned, at the end of that day (JST). */
  | 'PER_LOT';

/** A LINE Flex Message. */
export type FlexMessageInput = {
  /** What notifications and chat lists show (1-1500 characters). */
  altText: string;
  /** The Flex container as LINE defines it: a "bubble" or a "carousel" object. */
  contents: unknown;
};

/** An inclusive range of whole numbers; at least one bound, min at most max. */
export type IntRangeInput = {
  /** The largest value that matches. */
  max?: number | null | undefined;
  /** The smallest value that matches. */
  min?: number | null | undefined;
};

/** Whether the member's LINE account can receive messages from the retailer's official account. */
export type LineFriendStatus =
  /** The user has blocked the account: messages are skipped. */
  | 'BLOCKED'
  /** The user has added the account as a friend: messages reach them. */
  | 'FRIEND';

/** One message of a segmented send: set exactly one of text and flex. */
export type LineMessageInput = {
  /** A Flex Message. */
  flex?: FlexMessageInput | null | undefined;
  /**
   * A text message (1-5000 characters). Placeholders are replaced per recipient: {displayName}, {points} (usable
   * balance), {tier} (tier name in Japanese, e.g. ゴールド), {expiringPoints} and {expiresAt} (the points that expire
   * soonest and their date in Japan, e.g. 2027年5月10日(月)).
   */
  text?: string | null | undefined;
};

/** Where a merge of two members stands. */
export type MemberMergeState =
  /** Done: points, purchase history, contacts, tags and the LINE link of the merged member belong to the survivor. */
  | 'COMPLETED'
  /**
   * Under way: the merged member is already MERGED (its card code leads to the survivor) and the steps in
   * pendingSteps are being retried automatically until the service they need answers. Nothing is lost or doubled;
   * calling mergeMembers again with the same ids resumes it at once.
   */
  | 'IN_PROGRESS'
  /**
   * Asked for, but neither started nor refused yet. Seen only for a moment, or after the request was cut off, in which case
   * the merge is carried on automatically within seconds. Nothing has changed yet.
   */
  | 'PENDING'
  /**
   * Refused when it was about to start (see refusalReason); nothing changed. Asking again with the same ids starts
   * a new attempt if the reason no longer holds (e.g. the other merge that held one of the members has finished).
   */
  | 'REFUSED';

/** The lifecycle of a membership. */
export type MemberStatus =
  /** A member in good standing: earns and redeems points. */
  | 'ACTIVE'
  /** Merged into another member (mergedIntoId); their old card code resolves to the survivor. */
  | 'MERGED'
  /** Left the program; contact details have been erased. */
  | 'WITHDRAWN';

/** Where a segmented message is in its life. */
export type MessageDeliveryStatus =
  /** Stopped by cancelDelivery; batches already sent stay sent. */
  | 'CANCELLED'
  /** Every batch was sent or failed for good; see sent and failed. */
  | 'COMPLETED'
  /** The delivery could not run (e.g. the segment could not be evaluated). */
  | 'FAILED'
  /** Being sent. */
  | 'RUNNING'
  /** Waiting for its time (scheduledAt, or the end of quiet hours). */
  | 'SCHEDULED';

/**
 * An automatic LINE message the line service sends when something happens in a linked member's account. Each kind is
 * off until staff turn it on. Its messages go out as deliveries like segmented messages (same batching, retries,
 * quiet hours), to linked members who have not blocked the retailer's account.
 */
export type NotificationKind =
  /**
   * Points expire within daysBefore days. Sent once a day from 10:00 Japan time to the members whose soonest expiry
   * came that close; a member hears of each expiry date once (a new date, e.g. after their expiry moved, is news).
   */
  | 'POINTS_EXPIRING'
  /**
   * A member's tier went up (e.g. SILVER to GOLD). Checked every few minutes while the rule is on; a member hears of
   * each tier once, even if they drop and reach it again. Tiers reached before the rule was turned on, or before the
   * member linked their LINE account, are not announced.
   */
  | 'TIER_UP';

/** What a ledger entry did to the balance. */
export type PointTransactionType =
  /** A correction by staff, up or down. */
  | 'ADJUST'
  /** Points given outside a purchase: sign-up bonus, campaign bonus (creates a lot). */
  | 'BONUS'
  /** Points earned by a purchase (creates a lot). */
  | 'EARN'
  /** Points removed because their lot expired. */
  | 'EXPIRE'
  /**
   * A balance brought over from the previous card by the member import: one lot per expiry date, usable at once,
   * each expiring at the end of its day in Japan (the entry's expiresAt is the soonest of them).
   */
  | 'IMPORT'
  /** Points moved in from a member merged into this one. */
  | 'MERGE_IN'
  /** Points moved out of a member who was merged into another. */
  | 'MERGE_OUT'
  /** Points spent on a purchase. */
  | 'REDEEM'
  /** A refund: earned points taken back, or redeemed points given back. */
  | 'REVERSAL';

/** Members with points about to expire. */
export type PointsExpiringInput = {
  /** At least this many points expiring in that time (default 1). */
  minPoints?: number | null | undefined;
  /** Points that expire within this many days from evaluation (1 to 365). */
  withinDays: number;
};

/**
 * How many purchases a member made in a period (refunded purchases still count as purchases). A member who bought
 * nothing has 0, so a range including 0 matches them.
 */
export type PurchaseCountConditionInput = {
  /** The number of purchases, e.g. { min: 3 }. */
  count: IntRangeInput;
  /** The period; omitted: all time. */
  window?: TimeWindowInput | null | undefined;
};

/** Where a purchase is in its life. */
export type PurchaseStatus =
  /** Recorded and its points settled. */
  | 'COMPLETED'
  /** Part of it has been refunded. */
  | 'PARTIALLY_REFUNDED'
  /**
   * Recorded; its points are being settled (the points service was unreachable and a retry will complete it, for
   * up to 24 hours).
   */
  | 'PENDING_POINTS'
  /** All of it has been refunded. */
  | 'REFUNDED'
  /**
   * Refused: the member did not have the points to redeem, or a coupon could no longer be used (another register
   * used it a moment before, or it ended), and the ledger holds no redemption for it. Nothing was charged in points
   * and no coupon was consumed. Final.
   */
  | 'REJECTED'
  /**
   * Recorded, but its points could not be settled and never will be by retrying: the points service refused the
   * settlement for a reason a retry cannot change, or could not settle it within 24 hours. It earned and redeemed
   * nothing (any points an attempt settled are given back). Final; staff see why in statusReason and find such
   * purchases with purchasesNeedingAttention.
   */
  | 'SETTLEMENT_FAILED';

/** Where a member signed up. */
export type RegistrationChannel =
  /** On the EC site or app. */
  | 'ONLINE'
  /** At a register in a physical or pop-up store. */
  | 'STORE';

/** The benefit of a reward: give the fields of its kind only. */
export type RewardBenefitInput = {
  /**
   * PERCENT_OFF: the most yen off (1-10,000,000); omitted or null: no cap (a percentage without a cap can be a
   * Shopify discount code online, one with a cap cannot).
   */
  capYen?: number | null | undefined;
  /** The kind. */
  kind: BenefitKind;
  /** PERCENT_OFF: percent off (1-100). */
  percentOff?: number | null | undefined;
  /** FREE_ITEM: the item's SKU (1-100 characters). */
  sku?: string | null | undefined;
  /** YEN_OFF: yen off (1-10,000,000). */
  yenOff?: number | null | undefined;
};

/**
 * A reward's settings. On create, nameJa, nameEn, pointsCost and benefit are required; on update, omitted fields stay
 * as they are (give null to clear validUntil, stock, perMemberLimit or minTier).
 */
export type RewardInput = {
  /** Whether it may be redeemed (default true). */
  active?: boolean | null | undefined;
  /** What its coupon gives (replaces the whole benefit on update). */
  benefit?: RewardBenefitInput | null | undefined;
  /** Days (of 24 hours) a coupon is valid after it is issued (1-365; default 30). */
  couponValidityDays?: number | null | undefined;
  /** Description in English (up to 1000 characters; default empty). */
  descriptionEn?: string | null | undefined;
  /** Description in Japanese (up to 1000 characters; default empty). */
  descriptionJa?: string | null | undefined;
  /** The lowest tier that may redeem it (default every tier). */
  minTier?: Tier | null | undefined;
  /** Name in English (1-100 characters). */
  nameEn?: string | null | undefined;
  /** Name in Japanese (1-100 characters). */
  nameJa?: string | null | undefined;
  /** Whether its coupons are valid online (default false). */
  online?: boolean | null | undefined;
  /** Coupons one member may hold at once (1-1000; default no limit). */
  perMemberLimit?: number | null | undefined;
  /** Points a coupon costs (1-1,000,000). */
  pointsCost?: number | null | undefined;
  /**
   * Whether a full refund of the purchase that used a coupon makes it ISSUED again (default false). Coupons already
   * issued keep what they were issued with.
   */
  restoreCouponOnRefund?: boolean | null | undefined;
  /** Coupons outstanding at once (1-1,000,000; default unlimited). */
  stock?: number | null | undefined;
  /** Stores where its coupons are valid (default none; a reward needs a store or online). */
  storeIds?: Array<string | number> | null | undefined;
  /** From when it may be redeemed (default now). */
  validFrom?: string | null | undefined;
  /** Until when (exclusive; default no end). */
  validUntil?: string | null | undefined;
};

/** How earned points are rounded to a whole number, once per purchase, after every multiplier. */
export type Rounding =
  /** Round down: 1,999 yen at 1 point per 100 yen earns 19 points. */
  | 'FLOOR'
  /** Round half up: 1,950 yen at 1 point per 100 yen earns 20 points. */
  | 'HALF_UP';

/** The kind of earn rule an audit record (RuleChange) belongs to. */
export type RuleKind =
  /** A campaign. */
  | 'CAMPAIGN'
  /** An item rule. */
  | 'ITEM_RULE'
  /** The point policy: channel rates, tiers, pending and expiry settings, bonuses (one for the whole program). */
  | 'POINTS_POLICY'
  /** A store's own earn rate. */
  | 'STORE_EARN_RATE';

/**
 * A segment definition: a tree of conditions. Each node sets EXACTLY ONE field: a combinator (and, or, not) or one
 * condition; anything else is BAD_USER_INPUT naming the node. At most 50 nodes and 8 levels.
 *
 * Every condition applies to the member as the service that owns the data sees them at evaluation time: tier, point
 * balance and expiring points (points); registeredVia, registration date, tags and birthday month (members);
 * purchase recency, frequency, spend, channels, stores and categories bought (purchases); LINE friend status (line). Only ACTIVE members
 * ever match, and a message sent to a segment reaches only those who consent to marketing (SendSegmentMessageInput).
 *
 * Example, "bought at store X in the last 90 days but never online":
 * { and: [ { storesVisited: { storeIds: ["X"], window: { fromDaysAgo: 90 } } }, { channelUsage: { usage: STORE_ONLY } } ] }
 */
export type SegmentDefinitionInput = {
  /** Matches when every one of these (1 to 20) matches. */
  and?: Array<SegmentDefinitionInput> | null | undefined;
  /** The member's birthday falls in one of these months (or in the month of evaluation). */
  birthdayMonth?: BirthdayMonthInput | null | undefined;
  /** Categories bought (purchase lines' category). */
  boughtCategory?: BoughtCategoryConditionInput | null | undefined;
  /** Channels bought through. */
  channelUsage?: ChannelUsageConditionInput | null | undefined;
  /**
   * The member's latest purchase (any channel) falls in this period: { from } for "bought since", { to } or
   * { toDaysAgo } for "has bought, but not since". Members who never bought do not match.
   */
  lastPurchase?: TimeWindowInput | null | undefined;
  /** The linked LINE account follows (FRIEND) or has blocked (BLOCKED) the retailer's account. */
  lineFriendStatus?: LineFriendStatus | null | undefined;
  /** Matches when this does not. */
  not?: SegmentDefinitionInput | null | undefined;
  /** Matches when at least one of these (1 to 20) matches. */
  or?: Array<SegmentDefinitionInput> | null | undefined;
  /** The usable point balance (points owed after a refund count against it, so it may be negative) is in this range. */
  pointBalance?: IntRangeInput | null | undefined;
  /** Some points expire soon. */
  pointsExpiring?: PointsExpiringInput | null | undefined;
  /** Purchase frequency. */
  purchaseCount?: PurchaseCountConditionInput | null | undefined;
  /** The member signed up in this period, e.g. { from: "2026-06-01T00:00:00+09:00" } for new members this month. */
  registered?: TimeWindowInput | null | undefined;
  /** The member signed up through this channel. */
  registeredVia?: RegistrationChannel | null | undefined;
  /** Purchase spend (monetary value). */
  spend?: SpendConditionInput | null | undefined;
  /** Stores bought at. */
  storesVisited?: StoresVisitedConditionInput | null | undefined;
  /** The member's tags. */
  tags?: TagsConditionInput | null | undefined;
  /** The member's current tier is one of these. */
  tier?: Array<Tier> | null | undefined;
};

/**
 * A message to every member of a segment who has a linked LINE account and consents to marketing messages, whatever
 * the segment's conditions (consent is judged when the delivery starts; members who never chose count as consented).
 * Give segmentId or definition.
 */
export type SendSegmentMessageInput = {
  /** A definition used once, without saving it. */
  definition?: SegmentDefinitionInput | null | undefined;
  /** Compute the recipients without sending anything. */
  dryRun?: boolean | null | undefined;
  /**
   * A key unique to this send (1-200 characters): resending the same request with it returns the same delivery
   * instead of sending twice.
   */
  idempotencyKey: string;
  /** 1 to 5 messages, sent together. */
  messages: Array<LineMessageInput>;
  /** When to send (default now). A time in quiet hours waits until they end. */
  scheduledAt?: string | null | undefined;
  /** A saved segment. */
  segmentId?: string | number | null | undefined;
};

/** A change to a notification rule; omitted (or null) fields stay as they are, at least one must be given. */
export type SetNotificationRuleInput = {
  /** POINTS_EXPIRING only: days before expiry, 1 to 90. */
  daysBefore?: number | null | undefined;
  /** Turn it on (true) or off (false). */
  enabled?: boolean | null | undefined;
  /** Which notification. */
  kind: NotificationKind;
  /** 1 to 5 messages, checked as sendSegmentMessage checks them. */
  messages?: Array<LineMessageInput> | null | undefined;
  /**
   * 0 to 5 messages for members whose LINE is in English, checked like messages; an empty list removes them, so those
   * members get messages.
   */
  messagesEn?: Array<LineMessageInput> | null | undefined;
};

/** Point policy settings; omitted fields stay as they are. */
export type SetPointsPolicyInput = {
  /** Birthday bonus points (0-100000; 0 turns the birthday bonus off). */
  birthdayBonusPoints?: number | null | undefined;
  /** Default earn rate of a channel: points. */
  channel?: Channel | null | undefined;
  /** The line categories that earn nothing (replaces the list; up to 200, [] excludes none). */
  excludedCategories?: Array<string> | null | undefined;
  /** How points expire. */
  expiryMode?: ExpiryMode | null | undefined;
  /** AFTER_LAST_PURCHASE inactivity (1-3650 days). */
  inactivityDays?: number | null | undefined;
  /** PER_LOT validity (1-3650 days). */
  lotValidityDays?: number | null | undefined;
  /** Days before online purchase points become usable (0-365). */
  onlinePendingDays?: number | null | undefined;
  /** Days before store purchase points become usable (0-365). */
  pendingDays?: number | null | undefined;
  /** With channel: the yen unit. */
  ratePerYen?: number | null | undefined;
  /** With channel: points per ratePerYen yen. */
  ratePoints?: number | null | undefined;
  /** Rounding of earned points. */
  rounding?: Rounding | null | undefined;
  /** Sign-up bonus points (0-100000). */
  signupBonusPoints?: number | null | undefined;
  /** Tier window (1-1095 days). */
  tierWindowDays?: number | null | undefined;
};

/** A store's own earn rate, optionally for a time window (e.g. a pop-up at 3 points per 100 yen for two weeks). */
export type SetStoreEarnRateInput = {
  /** Until (default: open-ended). */
  endsAt?: string | null | undefined;
  /** The yen unit (1-100000, default 100). */
  ratePerYen?: number | null | undefined;
  /** Points per ratePerYen yen (0-1000); null removes the store rate so the channel default applies. */
  ratePoints?: number | null | undefined;
  /** From (default: now). */
  startsAt?: string | null | undefined;
  /** The store. */
  storeId: string | number;
};

/**
 * How much a member spent in a period: yen paid, net of refunds (points used are not spend). A member who bought
 * nothing spent 0.
 */
export type SpendConditionInput = {
  /** Yen, e.g. { min: 10000 }. */
  amount: IntRangeInput;
  /** The period; omitted: all time. */
  window?: TimeWindowInput | null | undefined;
};

/** The kind of place a store is. */
export type StoreKind =
  /** An online shop (EC site). */
  | 'ONLINE'
  /** A permanent physical store with registers. */
  | 'PHYSICAL'
  /** A temporary physical store open between opensAt and closesAt. */
  | 'POPUP';

/**
 * Members who bought at any of some stores: give storeIds, or a prefecture and/or city (the stores there, as set on
 * each store, compared exactly).
 */
export type StoresVisitedConditionInput = {
  /** The stores in this city, e.g. "新宿区". */
  city?: string | null | undefined;
  /** The stores in this prefecture, e.g. "東京都". */
  prefecture?: string | null | undefined;
  /** The stores (1 to 100 ids). */
  storeIds?: Array<string | number> | null | undefined;
  /** Only purchases in this period count; omitted: all time. */
  window?: TimeWindowInput | null | undefined;
};

/** Members by their tags (set by staff on the member). Give any, all or both (both must hold); 1 to 20 tags each. */
export type TagsConditionInput = {
  /** Has every one of these tags. */
  all?: Array<string> | null | undefined;
  /** Has at least one of these tags. */
  any?: Array<string> | null | undefined;
};

/** Membership tiers, from lowest to highest. A member's tier follows their qualifying spend in the tier window. */
export type Tier =
  /** The second tier above REGULAR. */
  | 'GOLD'
  /** The highest tier. */
  | 'PLATINUM'
  /** Every member starts here. */
  | 'REGULAR'
  /** The first tier above REGULAR. */
  | 'SILVER';

/** A tier's threshold and multiplier. */
export type TierRuleInput = {
  /** Qualifying spend in yen (REGULAR must be 0; higher tiers strictly increasing). */
  minSpend: number;
  /** Earn multiplier in percent (100-1000). */
  multiplierPercent: number;
  /** The tier. */
  tier: Tier;
};

/**
 * A period of time, evaluated when the segment is used (previewed or sent), so a saved "last 90 days" stays the last
 * 90 days. Each end is given as a date-time or as a number of days before the moment of evaluation (days of 24 hours),
 * never both; at least one end is needed; an omitted end is open. The period includes its start and excludes its end.
 * Days are 0 to 3650, and the start must be before the end.
 */
export type TimeWindowInput = {
  /** The start: this instant. */
  from?: string | null | undefined;
  /** The start: this many days before evaluation, e.g. 90 for "in the last 90 days". */
  fromDaysAgo?: number | null | undefined;
  /** The end (excluded): this instant. */
  to?: string | null | undefined;
  /** The end (excluded): this many days before evaluation, e.g. 180 for "not since 180 days ago". */
  toDaysAgo?: number | null | undefined;
};

export type ConsoleApiKeysQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleApiKeysQuery = { apiKeys: Array<{ id: string, label: string, createdAt: string, lastUsedAt: string | null, revokedAt: string | null, stores: Array<{ id: string, name: string }> }> };

export type ConsoleCreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type ConsoleCreateApiKeyMutation = { createApiKey: { key: string, apiKey: { id: string, label: string } } };

export type ConsoleRevokeApiKeyMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleRevokeApiKeyMutation = { revokeApiKey: { id: string, revokedAt: string | null } };

export type ConsoleRulesQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleRulesQuery = { campaigns: Array<{ id: string, name: string, kind: CampaignKind, multiplierPercent: number | null, bonusPoints: number | null, minAmount: number, channels: Array<Channel>, tiers: Array<Tier>, storeIds: Array<string>, startsAt: string, endsAt: string }>, earnRules: { tierWindowDays: number, pendingDays: number, onlinePendingDays: number, expiryMode: ExpiryMode, lotValidityDays: number, signupBonusPoints: number, birthdayBonusPoints: number, channelRates: Array<{ channel: Channel | null, ratePoints: number, ratePerYen: number }>, storeRates: Array<{ storeId: string | null, ratePoints: number, ratePerYen: number, startsAt: string | null, endsAt: string | null }>, tiers: Array<{ tier: Tier, minSpend: number, multiplierPercent: number }> }, rewards: Array<{ id: string, pointsCost: number, active: boolean, stock: number | null, revision: number, name: { ja: string, en: string } }> };

export type ConsoleRuleChangesQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleRuleChangesQuery = { ruleChanges: Array<{ rule: RuleKind, ruleId: string | null, revision: number, actor: string, at: string, action: string, changes: Array<{ field: string, before: string | null, after: string | null }> }> };

export type ConsoleRewardChangesQueryVariables = Exact<{
  rewardId: string | number;
}>;


export type ConsoleRewardChangesQuery = { rewardChanges: Array<{ revision: number, actor: string, at: string, action: string, changes: Array<{ field: string, before: string | null, after: string | null }> }> };

export type ConsoleCreateCampaignMutationVariables = Exact<{
  input: CreateCampaignInput;
}>;


export type ConsoleCreateCampaignMutation = { createCampaign: { id: string } };

export type ConsoleEndCampaignMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleEndCampaignMutation = { endCampaign: { id: string, endsAt: string } };

export type ConsoleMemberQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleMemberQuery = { member: { id: string, memberCode: string, displayName: string, email: string | null, phone: string | null, birthday: string | null, status: MemberStatus, mergedIntoId: string | null, registeredVia: RegistrationChannel, tags: Array<string>, createdAt: string, marketingConsent: { granted: boolean } | null, card: { code: string, barcodeSvg: string }, lineAccount: { displayName: string | null, friendStatus: LineFriendStatus, linkedAt: string } | null, merges: Array<{ id: string, survivorId: string, mergedId: string, state: MemberMergeState, pointsMoved: number | null, purchasesMoved: number | null, requestedAt: string }>, points: { balance: number, pendingBalance: number, lifetimeEarned: number, tier: Tier, expiring: Array<{ points: number, expiresAt: string }>, history: { nodes: Array<{ id: string, type: PointTransactionType, amount: number, balanceAfter: number, reason: string | null, actor: string | null, storeId: string | null, channel: Channel | null, createdAt: string, expiresAt: string | null }> } } | null, coupons: Array<{ id: string, code: string, state: CouponState, pointsCost: number, expiresAt: string, name: { ja: string, en: string } }>, purchaseSummary: { count: number, totalSpent: number, storeCount: number, onlineCount: number } | null, purchases: { nodes: Array<{ id: string, occurredAt: string, channel: Channel, amountPaid: number, pointsEarned: number | null, pointsRedeemed: number | null, status: PurchaseStatus, store: { name: string } }> } | null } | null };

export type ConsoleAdjustPointsMutationVariables = Exact<{
  memberId: string | number;
  amount: number;
  reason: string;
  idempotencyKey: string;
}>;


export type ConsoleAdjustPointsMutation = { adjustPoints: { account: { balance: number } } };

export type ConsoleMergeCandidateQueryVariables = Exact<{
  code: string;
}>;


export type ConsoleMergeCandidateQuery = { memberByCode: { id: string, memberCode: string, displayName: string, status: MemberStatus, points: { balance: number, pendingBalance: number } | null, purchaseSummary: { count: number } | null, lineAccount: { displayName: string | null } | null } | null };

export type ConsoleMergeMembersMutationVariables = Exact<{
  survivorId: string | number;
  mergedId: string | number;
}>;


export type ConsoleMergeMembersMutation = { mergeMembers: { id: string } };

export type ConsoleMemberByCodeQueryVariables = Exact<{
  code: string;
}>;


export type ConsoleMemberByCodeQuery = { memberByCode: { id: string, memberCode: string, displayName: string, email: string | null, phone: string | null, status: MemberStatus, mergedIntoId: string | null, points: { balance: number, tier: Tier } | null } | null };

export type ConsoleFindMembersQueryVariables = Exact<{
  email?: string | null | undefined;
  phone?: string | null | undefined;
  namePrefix?: string | null | undefined;
}>;


export type ConsoleFindMembersQuery = { findMembers: Array<{ id: string, memberCode: string, displayName: string, email: string | null, phone: string | null, status: MemberStatus, mergedIntoId: string | null, points: { balance: number, tier: Tier } | null }> };

export type ConsoleMemberRowFragment = { id: string, memberCode: string, displayName: string, email: string | null, phone: string | null, status: MemberStatus, mergedIntoId: string | null, points: { balance: number, tier: Tier } | null };

export type ConsoleSendSegmentMessageMutationVariables = Exact<{
  input: SendSegmentMessageInput;
}>;


export type ConsoleSendSegmentMessageMutation = { sendSegmentMessage: { id: string } };

export type ConsoleMessageDeliveryQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleMessageDeliveryQuery = { messageDelivery: { id: string, status: MessageDeliveryStatus, dryRun: boolean, recipients: number, sent: number, failed: number, skippedBlocked: number, skippedNoConsent: number, scheduledAt: string | null, startedAt: string | null, finishedAt: string | null } | null };

export type ConsoleCancelDeliveryMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleCancelDeliveryMutation = { cancelDelivery: { id: string, status: MessageDeliveryStatus } };

export type ConsoleNotificationRulesQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleNotificationRulesQuery = { notificationRules: Array<{ kind: NotificationKind, enabled: boolean, daysBefore: number | null, revision: number, updatedAt: string | null, updatedBy: string | null, messages: Array<{ text: string | null }>, messagesEn: Array<{ text: string | null }> | null }> };

export type ConsoleSetNotificationRuleMutationVariables = Exact<{
  input: SetNotificationRuleInput;
}>;


export type ConsoleSetNotificationRuleMutation = { setNotificationRule: { kind: NotificationKind, enabled: boolean } };

export type ConsolePointsLiabilityQueryVariables = Exact<{
  asOf?: string | null | undefined;
}>;


export type ConsolePointsLiabilityQuery = { pointsLiability: { asOf: string, yenPerPoint: number, accounts: number, balancePoints: number, pendingPoints: number, owedPoints: number, outstandingPoints: number, outstandingYen: number, byExpiryMonth: Array<{ month: string, points: number, yen: number }> } };

export type ConsolePointsActivityQueryVariables = Exact<{
  from: string;
  to: string;
}>;


export type ConsolePointsActivityQuery = { pointsActivity: { earned: number, redeemed: number, redemptionRate: number | null, rows: Array<{ month: string, storeId: string | null, channel: Channel | null, earned: number, redeemed: number, expired: number, earnReversed: number, redeemReturned: number }> } };

export type ConsoleMembersByChannelQueryVariables = Exact<{
  from: string;
  to: string;
}>;


export type ConsoleMembersByChannelQuery = { membersByChannel: { storeOnly: number, onlineOnly: number, both: number, rows: Array<{ month: string, storeOnly: number, onlineOnly: number, both: number }> } };

export type ConsoleCampaignListQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleCampaignListQuery = { campaigns: Array<{ id: string, name: string, startsAt: string, endsAt: string }> };

export type ConsoleCampaignResultsQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleCampaignResultsQuery = { campaign: { id: string, name: string, purchaseResults: { purchasesChange: number | null, salesChange: number | null, membersChange: number | null, during: { from: string, to: string, purchases: number, sales: number, members: number }, before: { from: string, to: string, purchases: number, sales: number, members: number } }, pointResults: { earnedChange: number | null, campaignPurchases: number, pointsOnCampaignPurchases: number, during: { earned: number }, before: { earned: number } } } | null };

export type ConsoleCreateRewardMutationVariables = Exact<{
  input: RewardInput;
}>;


export type ConsoleCreateRewardMutation = { createReward: { id: string } };

export type ConsoleSetRewardActiveMutationVariables = Exact<{
  id: string | number;
  input: RewardInput;
}>;


export type ConsoleSetRewardActiveMutation = { updateReward: { id: string, active: boolean, revision: number } };

export type ConsoleSetStoreEarnRateMutationVariables = Exact<{
  input: SetStoreEarnRateInput;
}>;


export type ConsoleSetStoreEarnRateMutation = { setStoreEarnRate: { rounding: Rounding } };

export type ConsoleSetTierRulesMutationVariables = Exact<{
  tiers: Array<TierRuleInput> | TierRuleInput;
}>;


export type ConsoleSetTierRulesMutation = { setTierRules: { rounding: Rounding } };

export type ConsoleSetPointsPolicyMutationVariables = Exact<{
  input: SetPointsPolicyInput;
}>;


export type ConsoleSetPointsPolicyMutation = { setPointsPolicy: { rounding: Rounding } };

export type ConsoleSegmentsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleSegmentsQuery = { segments: Array<{ id: string, name: string, description: string | null, revision: number, updatedAt: string, updatedBy: string }> };

export type ConsoleSegmentPreviewQueryVariables = Exact<{
  definition?: SegmentDefinitionInput | null | undefined;
}>;


export type ConsoleSegmentPreviewQuery = { segmentPreview: { memberCount: number, reachableCount: number, consentedCount: number, recipientCount: number } };

export type ConsoleCreateSegmentMutationVariables = Exact<{
  input: CreateSegmentInput;
}>;


export type ConsoleCreateSegmentMutation = { createSegment: { id: string, name: string } };

export type ConsoleDeleteSegmentMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleDeleteSegmentMutation = { deleteSegment: boolean };

export type ConsoleStoresQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleStoresQuery = { stores: Array<{ id: string, code: string, name: string, kind: StoreKind, prefecture: string | null, city: string | null, shopifyShopDomain: string | null }> };

export type ConsoleCreateStoreMutationVariables = Exact<{
  input: CreateStoreInput;
}>;


export type ConsoleCreateStoreMutation = { createStore: { id: string } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ConsoleMemberRowFragmentDoc = new TypedDocumentString(`
    fragment ConsoleMemberRow on Member {
  id
  memberCode
  displayName
  email
  phone
  status
  mergedIntoId
  points {
    balance
    tier
  }
}
    `, {"fragmentName":"ConsoleMemberRow"}) as unknown as TypedDocumentString<ConsoleMemberRowFragment, unknown>;
export const ConsoleApiKeysDocument = new TypedDocumentString(`
    query ConsoleApiKeys {
  apiKeys {
    id
    label
    createdAt
    lastUsedAt
    revokedAt
    stores {
      id
      name
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleApiKeysQuery, ConsoleApiKeysQueryVariables>;
export const ConsoleCreateApiKeyDocument = new TypedDocumentString(`
    mutation ConsoleCreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    key
    apiKey {
      id
      label
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleCreateApiKeyMutation, ConsoleCreateApiKeyMutationVariables>;
export const ConsoleRevokeApiKeyDocument = new TypedDocumentString(`
    mutation ConsoleRevokeApiKey($id: ID!) {
  revokeApiKey(id: $id) {
    id
    revokedAt
  }
}
    `) as unknown as TypedDocumentString<ConsoleRevokeApiKeyMutation, ConsoleRevokeApiKeyMutationVariables>;
export const ConsoleRulesDocument = new TypedDocumentString(`
    query ConsoleRules {
  campaigns(all: true) {
    id
    name
    kind
    multiplierPercent
    bonusPoints
    minAmount
    channels
    tiers
    storeIds
    startsAt
    endsAt
  }
  earnRules {
    channelRates {
      channel
      ratePoints
      ratePerYen
    }
    storeRates {
      storeId
      ratePoints
      ratePerYen
      startsAt
      endsAt
    }
    tiers {
      tier
      minSpend
      multiplierPercent
    }
    tierWindowDays
    pendingDays
    onlinePendingDays
    expiryMode
    lotValidityDays
    signupBonusPoints
    birthdayBonusPoints
  }
  rewards {
    id
    name {
      ja
      en
    }
    pointsCost
    active
    stock
    revision
  }
}
    `) as unknown as TypedDocumentString<ConsoleRulesQuery, ConsoleRulesQueryVariables>;
export const ConsoleRuleChangesDocument = new TypedDocumentString(`
    query ConsoleRuleChanges {
  ruleChanges(first: 20) {
    rule
    ruleId
    revision
    actor
    at
    action
    changes {
      field
      before
      after
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleRuleChangesQuery, ConsoleRuleChangesQueryVariables>;
export const ConsoleRewardChangesDocument = new TypedDocumentString(`
    query ConsoleRewardChanges($rewardId: ID!) {
  rewardChanges(rewardId: $rewardId) {
    revision
    actor
    at
    action
    changes {
      field
      before
      after
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleRewardChangesQuery, ConsoleRewardChangesQueryVariables>;
export const ConsoleCreateCampaignDocument = new TypedDocumentString(`
    mutation ConsoleCreateCampaign($input: CreateCampaignInput!) {
  createCampaign(input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<ConsoleCreateCampaignMutation, ConsoleCreateCampaignMutationVariables>;
export const ConsoleEndCampaignDocument = new TypedDocumentString(`
    mutation ConsoleEndCampaign($id: ID!) {
  endCampaign(id: $id) {
    id
    endsAt
  }
}
    `) as unknown as TypedDocumentString<ConsoleEndCampaignMutation, ConsoleEndCampaignMutationVariables>;
export const ConsoleMemberDocument = new TypedDocumentString(`
    query ConsoleMember($id: ID!) {
  member(id: $id) {
    id
    memberCode
    displayName
    email
    phone
    birthday
    status
    mergedIntoId
    registeredVia
    tags
    createdAt
    marketingConsent {
      granted
    }
    card {
      code
      barcodeSvg(format: CODE128)
    }
    lineAccount {
      displayName
      friendStatus
      linkedAt
    }
    merges {
      id
      survivorId
      mergedId
      state
      pointsMoved
      purchasesMoved
      requestedAt
    }
    points {
      balance
      pendingBalance
      lifetimeEarned
      tier
      expiring {
        points
        expiresAt
      }
      history(first: 20) {
        nodes {
          id
          type
          amount
          balanceAfter
          reason
          actor
          storeId
          channel
          createdAt
          expiresAt
        }
      }
    }
    coupons(first: 10) {
      id
      code
      state
      pointsCost
      expiresAt
      name {
        ja
        en
      }
    }
    purchaseSummary {
      count
      totalSpent
      storeCount
      onlineCount
    }
    purchases(first: 10) {
      nodes {
        id
        occurredAt
        channel
        amountPaid
        pointsEarned
        pointsRedeemed
        status
        store {
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleMemberQuery, ConsoleMemberQueryVariables>;
export const ConsoleAdjustPointsDocument = new TypedDocumentString(`
    mutation ConsoleAdjustPoints($memberId: ID!, $amount: Int!, $reason: String!, $idempotencyKey: String!) {
  adjustPoints(
    memberId: $memberId
    amount: $amount
    reason: $reason
    idempotencyKey: $idempotencyKey
  ) {
    account {
      balance
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleAdjustPointsMutation, ConsoleAdjustPointsMutationVariables>;
export const ConsoleMergeCandidateDocument = new TypedDocumentString(`
    query ConsoleMergeCandidate($code: String!) {
  memberByCode(code: $code) {
    id
    memberCode
    displayName
    status
    points {
      balance
      pendingBalance
    }
    purchaseSummary {
      count
    }
    lineAccount {
      displayName
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleMergeCandidateQuery, ConsoleMergeCandidateQueryVariables>;
export const ConsoleMergeMembersDocument = new TypedDocumentString(`
    mutation ConsoleMergeMembers($survivorId: ID!, $mergedId: ID!) {
  mergeMembers(survivorId: $survivorId, mergedId: $mergedId) {
    id
  }
}
    `) as unknown as TypedDocumentString<ConsoleMergeMembersMutation, ConsoleMergeMembersMutationVariables>;
export const ConsoleMemberByCodeDocument = new TypedDocumentString(`
    query ConsoleMemberByCode($code: String!) {
  memberByCode(code: $code) {
    ...ConsoleMemberRow
  }
}
    fragment ConsoleMemberRow on Member {
  id
  memberCode
  displayName
  email
  phone
  status
  mergedIntoId
  points {
    balance
    tier
  }
}`) as unknown as TypedDocumentString<ConsoleMemberByCodeQuery, ConsoleMemberByCodeQueryVariables>;
export const ConsoleFindMembersDocument = new TypedDocumentString(`
    query ConsoleFindMembers($email: String, $phone: String, $namePrefix: String) {
  findMembers(email: $email, phone: $phone, namePrefix: $namePrefix) {
    ...ConsoleMemberRow
  }
}
    fragment ConsoleMemberRow on Member {
  id
  memberCode
  displayName
  email
  phone
  status
  mergedIntoId
  points {
    balance
    tier
  }
}`) as unknown as TypedDocumentString<ConsoleFindMembersQuery, ConsoleFindMembersQueryVariables>;
export const ConsoleSendSegmentMessageDocument = new TypedDocumentString(`
    mutation ConsoleSendSegmentMessage($input: SendSegmentMessageInput!) {
  sendSegmentMessage(input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<ConsoleSendSegmentMessageMutation, ConsoleSendSegmentMessageMutationVariables>;
export const ConsoleMessageDeliveryDocument = new TypedDocumentString(`
    query ConsoleMessageDelivery($id: ID!) {
  messageDelivery(id: $id) {
    id
    status
    dryRun
    recipients
    sent
    failed
    skippedBlocked
    skippedNoConsent
    scheduledAt
    startedAt
    finishedAt
  }
}
    `) as unknown as TypedDocumentString<ConsoleMessageDeliveryQuery, ConsoleMessageDeliveryQueryVariables>;
export const ConsoleCancelDeliveryDocument = new TypedDocumentString(`
    mutation ConsoleCancelDelivery($id: ID!) {
  cancelDelivery(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<ConsoleCancelDeliveryMutation, ConsoleCancelDeliveryMutationVariables>;
export const ConsoleNotificationRulesDocument = new TypedDocumentString(`
    query ConsoleNotificationRules {
  notificationRules {
    kind
    enabled
    daysBefore
    revision
    updatedAt
    updatedBy
    messages {
      text
    }
    messagesEn {
      text
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleNotificationRulesQuery, ConsoleNotificationRulesQueryVariables>;
export const ConsoleSetNotificationRuleDocument = new TypedDocumentString(`
    mutation ConsoleSetNotificationRule($input: SetNotificationRuleInput!) {
  setNotificationRule(input: $input) {
    kind
    enabled
  }
}
    `) as unknown as TypedDocumentString<ConsoleSetNotificationRuleMutation, ConsoleSetNotificationRuleMutationVariables>;
export const ConsolePointsLiabilityDocument = new TypedDocumentString(`
    query ConsolePointsLiability($asOf: DateTime) {
  pointsLiability(asOf: $asOf) {
    asOf
    yenPerPoint
    accounts
    balancePoints
    pendingPoints
    owedPoints
    outstandingPoints
    outstandingYen
    byExpiryMonth {
      month
      points
      yen
    }
  }
}
    `) as unknown as TypedDocumentString<ConsolePointsLiabilityQuery, ConsolePointsLiabilityQueryVariables>;
export const ConsolePointsActivityDocument = new TypedDocumentString(`
    query ConsolePointsActivity($from: DateTime!, $to: DateTime!) {
  pointsActivity(from: $from, to: $to) {
    earned
    redeemed
    redemptionRate
    rows {
      month
      storeId
      channel
      earned
      redeemed
      expired
      earnReversed
      redeemReturned
    }
  }
}
    `) as unknown as TypedDocumentString<ConsolePointsActivityQuery, ConsolePointsActivityQueryVariables>;
export const ConsoleMembersByChannelDocument = new TypedDocumentString(`
    query ConsoleMembersByChannel($from: DateTime!, $to: DateTime!) {
  membersByChannel(from: $from, to: $to) {
    storeOnly
    onlineOnly
    both
    rows {
      month
      storeOnly
      onlineOnly
      both
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleMembersByChannelQuery, ConsoleMembersByChannelQueryVariables>;
export const ConsoleCampaignListDocument = new TypedDocumentString(`
    query ConsoleCampaignList {
  campaigns(all: true) {
    id
    name
    startsAt
    endsAt
  }
}
    `) as unknown as TypedDocumentString<ConsoleCampaignListQuery, ConsoleCampaignListQueryVariables>;
export const ConsoleCampaignResultsDocument = new TypedDocumentString(`
    query ConsoleCampaignResults($id: ID!) {
  campaign(id: $id) {
    id
    name
    purchaseResults {
      during {
        from
        to
        purchases
        sales
        members
      }
      before {
        from
        to
        purchases
        sales
        members
      }
      purchasesChange
      salesChange
      membersChange
    }
    pointResults {
      during {
        earned
      }
      before {
        earned
      }
      earnedChange
      campaignPurchases
      pointsOnCampaignPurchases
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleCampaignResultsQuery, ConsoleCampaignResultsQueryVariables>;
export const ConsoleCreateRewardDocument = new TypedDocumentString(`
    mutation ConsoleCreateReward($input: RewardInput!) {
  createReward(input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<ConsoleCreateRewardMutation, ConsoleCreateRewardMutationVariables>;
export const ConsoleSetRewardActiveDocument = new TypedDocumentString(`
    mutation ConsoleSetRewardActive($id: ID!, $input: RewardInput!) {
  updateReward(id: $id, input: $input) {
    id
    active
    revision
  }
}
    `) as unknown as TypedDocumentString<ConsoleSetRewardActiveMutation, ConsoleSetRewardActiveMutationVariables>;
export const ConsoleSetStoreEarnRateDocument = new TypedDocumentString(`
    mutation ConsoleSetStoreEarnRate($input: SetStoreEarnRateInput!) {
  setStoreEarnRate(input: $input) {
    rounding
  }
}
    `) as unknown as TypedDocumentString<ConsoleSetStoreEarnRateMutation, ConsoleSetStoreEarnRateMutationVariables>;
export const ConsoleSetTierRulesDocument = new TypedDocumentString(`
    mutation ConsoleSetTierRules($tiers: [TierRuleInput!]!) {
  setTierRules(tiers: $tiers) {
    rounding
  }
}
    `) as unknown as TypedDocumentString<ConsoleSetTierRulesMutation, ConsoleSetTierRulesMutationVariables>;
export const ConsoleSetPointsPolicyDocument = new TypedDocumentString(`
    mutation ConsoleSetPointsPolicy($input: SetPointsPolicyInput!) {
  setPointsPolicy(input: $input) {
    rounding
  }
}
    `) as unknown as TypedDocumentString<ConsoleSetPointsPolicyMutation, ConsoleSetPointsPolicyMutationVariables>;
export const ConsoleSegmentsDocument = new TypedDocumentString(`
    query ConsoleSegments {
  segments {
    id
    name
    description
    revision
    updatedAt
    updatedBy
  }
}
    `) as unknown as TypedDocumentString<ConsoleSegmentsQuery, ConsoleSegmentsQueryVariables>;
export const ConsoleSegmentPreviewDocument = new TypedDocumentString(`
    query ConsoleSegmentPreview($definition: SegmentDefinitionInput) {
  segmentPreview(definition: $definition) {
    memberCount
    reachableCount
    consentedCount
    recipientCount
  }
}
    `) as unknown as TypedDocumentString<ConsoleSegmentPreviewQuery, ConsoleSegmentPreviewQueryVariables>;
export const ConsoleCreateSegmentDocument = new TypedDocumentString(`
    mutation ConsoleCreateSegment($input: CreateSegmentInput!) {
  createSegment(input: $input) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<ConsoleCreateSegmentMutation, ConsoleCreateSegmentMutationVariables>;
export const ConsoleDeleteSegmentDocument = new TypedDocumentString(`
    mutation ConsoleDeleteSegment($id: ID!) {
  deleteSegment(id: $id)
}
    `) as unknown as TypedDocumentString<ConsoleDeleteSegmentMutation, ConsoleDeleteSegmentMutationVariables>;
export const ConsoleStoresDocument = new TypedDocumentString(`
    query ConsoleStores {
  stores {
    id
    code
    name
    kind
    prefecture
    city
    shopifyShopDomain
  }
}
    `) as unknown as TypedDocumentString<ConsoleStoresQuery, ConsoleStoresQueryVariables>;
export const ConsoleCreateStoreDocument = new TypedDocumentString(`
    mutation ConsoleCreateStore($input: CreateStoreInput!) {
  createStore(input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<ConsoleCreateStoreMutation, ConsoleCreateStoreMutationVariables>;