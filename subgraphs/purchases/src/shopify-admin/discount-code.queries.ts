/**
 * The Admin GraphQL operations for coupons' discount codes (API version 2025-10 on: `context` chooses the buyers,
 * replacing the deprecated `customerSelection`). Each asks only for what the caller reads, which keeps its cost low.
 */
export const CODE_NODE_BY_CODE = `query codeByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id codeDiscount { ... on DiscountCodeBasic { status } } }
}`;

export const CREATE_BASIC_CODE = `mutation createCode($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}`;

export const DEACTIVATE_CODE = `mutation deactivateCode($id: ID!) {
  discountCodeDeactivate(id: $id) {
    codeDiscountNode { id codeDiscount { ... on DiscountCodeBasic { status } } }
    userErrors { field code message }
  }
}`;

interface UserError {
  field?: string[] | null;
  code?: string | null;
  message: string;
}

export interface CodeNodeByCode {
  codeDiscountNodeByCode: { id: string; codeDiscount?: { status?: 'ACTIVE' | 'EXPIRED' | 'SCHEDULED' } | null } | null;
}

export interface CreatedCode {
  discountCodeBasicCreate: { codeDiscountNode: { id: string } | null; userErrors: UserError[] } | null;
}

export interface DeactivatedCode {
  discountCodeDeactivate: { codeDiscountNode: { id: string } | null; userErrors: UserError[] } | null;
}
