import { z } from 'zod';

/**
 * What the client accepts of Smaregi's answers. Every number arrives as a string and is checked to be one (the
 * callers parse it once they know what it is); unset fields are null; fields not named here are kept as they came,
 * since the connector's parts read more of a head than they all need checked.
 */
const numeric = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a numeric string');
const id = z.string().regex(/^\d{1,20}$/, 'must be an id');
const nullableNumeric = numeric.nullable().optional();
const nullableText = z.string().nullable().optional();

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.coerce.number().int().positive(),
  scope: z.string().optional(),
});

export const transactionDetailSchema = z.looseObject({
  transactionHeadId: id.optional(),
  transactionDetailId: id,
  parentTransactionDetailId: id.nullable(),
  transactionDetailDivision: z.string(),
  productId: id.nullable(),
  productCode: z.string().nullable(),
  productName: z.string().nullable(),
  price: numeric,
  salesPrice: numeric,
  unitDiscountPrice: numeric,
  unitDiscountRate: nullableNumeric,
  quantity: numeric,
  unitDiscountedSum: nullableNumeric,
  categoryId: id.nullable(),
  categoryName: nullableText,
  salesDivision: nullableText,
});

export const transactionSchema = z.looseObject({
  transactionHeadId: id,
  transactionDateTime: z.string(),
  transactionHeadDivision: z.string(),
  cancelDivision: z.string(),
  subtotal: numeric,
  subtotalDiscountPrice: numeric,
  pointDiscount: numeric,
  couponDiscount: numeric,
  total: numeric,
  amount: numeric.optional(),
  returnAmount: numeric.optional(),
  newPoint: numeric,
  spendPoint: numeric,
  point: numeric,
  totalPoint: numeric,
  storeId: id,
  terminalId: id,
  customerId: id.nullable(),
  customerCode: nullableText,
  terminalTranId: z.string(),
  terminalTranDateTime: z.string(),
  sumDate: nullableText,
  staffId: id.nullable().optional(),
  disposeDivision: nullableText,
  disposeServerTransactionHeadId: id.nullable().optional(),
  cancelDateTime: nullableText,
  transactionUuid: nullableText,
  updDateTime: nullableText,
  details: z.array(transactionDetailSchema).optional(),
});

export const customerSchema = z.looseObject({
  customerId: id,
  customerCode: z.string(),
  lastName: z.string().nullable(),
  firstName: z.string().nullable(),
  lastKana: nullableText,
  firstKana: nullableText,
  phoneNumber: nullableText,
  mobileNumber: nullableText,
  mailAddress: nullableText,
  birthDate: nullableText,
  status: nullableText,
  storeId: id.nullable().optional(),
  point: nullableNumeric,
  updDateTime: nullableText,
});

export const customerListSchema = z.array(customerSchema);

/** GET /customers/point: one row a customer, its point field as text. */
export const customerPointListSchema = z.array(z.looseObject({ customerId: id, point: numeric }));

/** The answer to the bulk point update: its requestId (a number in the reference; kept as text). */
export const bulkResponseSchema = z.looseObject({ requestId: z.union([z.number().int(), id]).transform(String) });

/** An error answer: RFC 7807 from the API, OAuth2's error / error_description from the token endpoint. */
export const problemSchema = z.looseObject({
  title: z.string().optional(),
  detail: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});
