import { Schema, type Connection, type Model, type Types } from 'mongoose';

export type Channel = 'STORE' | 'ONLINE';
export type PurchaseState = 'PENDING_POINTS' | 'COMPLETED' | 'REJECTED' | 'SETTLEMENT_FAILED';
/** How the settlement treats the coupons (lib/contracts/points.ts): STRICT at a register, RECORD for an online order. */
export type CouponPolicy = 'STRICT' | 'RECORD';

/** Where a register sale came from, for a purchase a connector recorded (issue 17: Smaregi). */
export interface RegisterSaleDoc {
  system: 'SMAREGI';
  contractId: string;
  transactionHeadId: string;
  terminalId: string;
  terminalTranId: string;
}

/** A coupon (owned by points) a purchase used, with what it took off. */
export interface PurchaseCouponDoc {
  couponId: string;
  code: string;
  discount: number;
}

export interface PurchaseLineDoc {
  sku: string;
  name: string;
  unitPrice: number;
  quantity: number;
  category?: string | null;
}

/**
 * A purchase. Refund state (PARTIALLY_REFUNDED / REFUNDED) is not stored here: it follows from the refunds, which
 * are their own append-only records, so there is no second copy to keep in step.
 */
export interface PurchaseDoc {
  _id: Types.ObjectId;
  /** The register's key; the purchase id is derived from `${storeId}:${idempotencyKey}`, so a retry finds it. */
  idempotencyKey: string;
  requestDigest: string;
  storeId: string;
  externalId?: string | null;
  memberId?: string | null;
  channel: Channel;
  lines: PurchaseLineDoc[];
  subtotal: number;
  /** The register's (or Shopify's) own discount plus couponDiscount. */
  discount: number;
  /** subtotal − discount, so after the coupons: the value refunds are measured against. */
  total: number;
  /** The part of `discount` the coupons gave: Σ coupons[].discount. */
  couponDiscount?: number;
  coupons?: PurchaseCouponDoc[];
  couponPolicy?: CouponPolicy;
  /**
   * An online order's discount codes points could not be asked about when it arrived (unreachable), with the yen
   * Shopify took off for each: the settlement asks, and moves those that are coupons into `coupons`.
   */
  unquotedCoupons?: { code: string; discount: number }[];
  pointsApplied: number;
  amountPaid: number;
  occurredAt: Date;
  /** A copy of the purchase's outcome (purchase_outcomes) once settled. */
  state: PurchaseState;
  /** Why it is REJECTED or SETTLEMENT_FAILED, for staff. */
  rejectionReason?: string | null;
  /** The error code a REJECTED purchase answers (INSUFFICIENT_POINTS, COUPON_ALREADY_USED, ...), and the coupon it names. */
  rejectionCode?: string | null;
  rejectionCouponCode?: string | null;
  actor: string;
  /**
   * ALLOW: a sale a register has already made (a Smaregi register spending points its stale copy showed): the
   * settlement spends what is usable and owes the rest (lib/contracts/points.ts). Absent: REFUSE.
   */
  overdraft?: 'REFUSE' | 'ALLOW';
  /** The points such a settlement spent beyond the member's balance, now owed. */
  pointsOverdrawn?: number;
  register?: RegisterSaleDoc | null;
  /** A guest purchase's receipt code (receipt_codes) and the end of the days it may be claimed in (docs/receipt-claims.md). */
  receiptCode?: string | null;
  receiptClaimableUntil?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const lineSchema = new Schema<PurchaseLineDoc>(
  {
    sku: { type: String, required: true },
    name: { type: String, required: true },
    unitPrice: { type: Number, required: true },
    quantity: { type: Number, required: true },
    category: { type: String, default: null },
  },
  { _id: false },
);

const couponSchema = new Schema<PurchaseCouponDoc>(
  {
    couponId: { type: String, required: true },
    code: { type: String, required: true },
    discount: { type: Number, required: true },
  },
  { _id: false },
);

const purchaseSchema = new Schema<PurchaseDoc>(
  {
    idempotencyKey: { type: String, required: true },
    requestDigest: { type: String, required: true },
    storeId: { type: String, required: true },
    externalId: { type: String, default: null },
    memberId: { type: String, default: null },
    channel: { type: String, required: true, enum: ['STORE', 'ONLINE'] },
    lines: { type: [lineSchema], required: true },
    subtotal: { type: Number, required: true },
    discount: { type: Number, required: true },
    total: { type: Number, required: true },
    couponDiscount: { type: Number, default: 0 },
    coupons: { type: [couponSchema], default: [] },
    couponPolicy: { type: String, enum: ['STRICT', 'RECORD'], default: 'STRICT' },
    unquotedCoupons: { type: [new Schema({ code: { type: String, required: true }, discount: { type: Number, required: true } }, { _id: false })], default: [] },
    pointsApplied: { type: Number, required: true },
    amountPaid: { type: Number, required: true },
    occurredAt: { type: Date, required: true },
    state: { type: String, required: true, enum: ['PENDING_POINTS', 'COMPLETED', 'REJECTED', 'SETTLEMENT_FAILED'] },
    rejectionReason: { type: String, default: null },
    rejectionCode: { type: String, default: null },
    rejectionCouponCode: { type: String, default: null },
    actor: { type: String, required: true },
    overdraft: { type: String, enum: ['REFUSE', 'ALLOW'], default: 'REFUSE' },
    pointsOverdrawn: { type: Number, default: 0 },
    register: {
      type: new Schema<RegisterSaleDoc>(
        {
          system: { type: String, required: true, enum: ['SMAREGI'] },
          contractId: { type: String, required: true },
          transactionHeadId: { type: String, required: true },
          terminalId: { type: String, required: true },
          terminalTranId: { type: String, required: true },
        },
        { _id: false },
      ),
      default: null,
    },
    receiptCode: { type: String, default: null },
    receiptClaimableUntil: { type: Date, default: null },
  },
  { timestamps: true, versionKey: false },
);
purchaseSchema.index({ memberId: 1, occurredAt: -1 });
purchaseSchema.index({ state: 1 });
// the reports' streamed passes over a period (membersByChannel, Campaign.purchaseResults)
purchaseSchema.index({ occurredAt: 1 });

export type PurchaseModel = Model<PurchaseDoc>;

export function purchaseModel(connection: Connection): PurchaseModel {
  return connection.model<PurchaseDoc>('Purchase', purchaseSchema, 'purchases');
}
