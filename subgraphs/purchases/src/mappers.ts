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

/**
 * A campaign (owned by the points service) as the gateway sends it for purchaseResults: its id and the fields the
 * field @requires, the dates as the JSON strings they travel as (an entity's representation is not parsed by the
 * DateTime scalar).
 */
export interface CampaignRepresentation {
  id: string;
  startsAt: string | Date;
  endsAt: string | Date;
  storeIds: string[];
  channels: ('STORE' | 'ONLINE')[];
}
