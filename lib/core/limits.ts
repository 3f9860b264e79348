/**
 * The largest amount of yen (or points, 1 point = 1 yen) a purchase or refund may carry: a line's
 * unitPrice × quantity, the subtotal, the total, the discount, the points redeemed, a refund. The purchases
 * service refuses anything above it at the door and the points service refuses it when settling, with this one
 * number, so a purchase can never be accepted by one and refused for good by the other.
 */
export const MAX_YEN = 1_000_000_000;
