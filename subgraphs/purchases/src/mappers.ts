import type { PurchaseLineDoc } from './models/purchase.model';

/**
 * The parents the resolvers receive where they are not a model's documents (codegen.ts maps the GraphQL types to
 * them): kept apart from the resolvers so the generated types import no resolver.
 */
/** A reference to a member owned by the members service. */
export interface MemberRef {
  id: string;
}

/** A stored line with how much of it has been refunded. */
export interface PurchaseLineView extends PurchaseLineDoc {
  refundedQuantity: number;
}

/** A reference to a coupon owned by the points service. */
export interface CouponRef {
  id: string;
}
