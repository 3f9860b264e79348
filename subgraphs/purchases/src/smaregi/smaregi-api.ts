/**
 * The Smaregi Platform API as the connector uses it (docs/smaregi-setup.md; the POS API reference at
 * developers.smaregi.dev). Every number and id arrives as a JSON string; unset fields are null. Implemented by
 * client/smaregi-client.ts over HTTP, and faked on loopback by test/helpers/fake-smaregi.ts.
 */

/** A numeric string, as Smaregi sends every number ("120", "0.00"). */
export type NumericString = string;

/** A transaction's line (details[] of GET /pos/transactions/{id}?with_details=all). */
export interface SmaregiTransactionDetail {
  transactionHeadId?: NumericString;
  transactionDetailId: NumericString;
  parentTransactionDetailId: NumericString | null;
  /** 1 通常 (sale), 2 返品 (return), 3 部門売り (department sale). */
  transactionDetailDivision: string;
  productId: NumericString | null;
  productCode: string | null;
  productName: string | null;
  /** Regular and selling unit price, yen. */
  price: NumericString;
  salesPrice: NumericString;
  unitDiscountPrice: NumericString;
  unitDiscountRate?: NumericString | null;
  quantity: NumericString;
  /** The line's total after its own discounts. */
  unitDiscountedSum?: NumericString | null;
  categoryId: NumericString | null;
  categoryName?: string | null;
  /** 0: counts toward sales; 1: does not (e.g. a deposit). */
  salesDivision?: string | null;
  [field: string]: unknown;
}

/** A transaction head (GET /pos/transactions/{id}). */
export interface SmaregiTransaction {
  transactionHeadId: NumericString;
  transactionDateTime: string;
  /** 1 通常 (a sale); 6/7/8 point add / subtract / expire and others are not sales. */
  transactionHeadDivision: string;
  /** 0 normal, 1 取消 (voided, the same record changed). */
  cancelDivision: string;
  subtotal: NumericString;
  subtotalDiscountPrice: NumericString;
  pointDiscount: NumericString;
  couponDiscount: NumericString;
  total: NumericString;
  amount?: NumericString;
  returnAmount?: NumericString;
  /** Points the register gave, spent, the balance before and after, as the register saw them. */
  newPoint: NumericString;
  spendPoint: NumericString;
  point: NumericString;
  totalPoint: NumericString;
  storeId: NumericString;
  terminalId: NumericString;
  customerId: NumericString | null;
  customerCode?: string | null;
  terminalTranId: NumericString;
  terminalTranDateTime: string;
  sumDate?: string | null;
  staffId?: NumericString | null;
  /** 打消: 0 none, 1 the original of a 返品取消, 2 the negative record that undoes disposeServerTransactionHeadId. */
  disposeDivision?: string | null;
  disposeServerTransactionHeadId?: NumericString | null;
  cancelDateTime?: string | null;
  /** The receipt number. */
  transactionUuid?: string | null;
  updDateTime?: string | null;
  details?: SmaregiTransactionDetail[];
  [field: string]: unknown;
}

/** A customer (会員), GET /pos/customers/{id}. */
export interface SmaregiCustomer {
  customerId: NumericString;
  customerCode: string;
  lastName: string | null;
  firstName: string | null;
  lastKana?: string | null;
  firstKana?: string | null;
  phoneNumber?: string | null;
  mobileNumber?: string | null;
  mailAddress?: string | null;
  birthDate?: string | null;
  /** 会員状態区分; "3" 退会 (left). */
  status?: string | null;
  storeId?: NumericString | null;
  point?: NumericString | null;
  updDateTime?: string | null;
  [field: string]: unknown;
}

/** POST /pos/customers: customerCode, lastName and firstName are required (kana too on some contracts). */
export interface NewSmaregiCustomer {
  customerCode: string;
  lastName: string;
  firstName: string;
  lastKana?: string;
  firstKana?: string;
  mobileNumber?: string;
  mailAddress?: string;
  birthDate?: string;
}

/** Smaregi cannot answer now (429, 5xx, 503 maintenance, timeout, network): ask again, after retryAfterMs if it said. */
export class SmaregiUnavailableError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = 'SmaregiUnavailableError';
  }
}

/**
 * Smaregi refused the request (4xx other than 429; a 401 after a fresh token): asking the same again cannot change
 * it. `contractWide`: the refusal is of the app in this contract, not of the request (the token endpoint refusing,
 * a 401 after a fresh token, a 403: the app uninstalled, a scope or the plan's point feature missing), which staff
 * can set right there, so it is "not now" for whatever asked, not refused for good.
 */
export class SmaregiRefusedError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The problem body's `detail` (RFC 7807), for staff. */
    readonly detail: string | null,
    readonly contractWide = false,
  ) {
    super(message);
    this.name = 'SmaregiRefusedError';
  }
}

/**
 * What the connector asks of Smaregi, per contract. The access token (client credentials, per contract) is the
 * client's business: fetched, cached until shortly before it expires, renewed once on a 401.
 */
export interface SmaregiApi {
  /** GET /pos/transactions/{id}?with_details=all; null when Smaregi answers 404. */
  getTransaction(contractId: string, transactionHeadId: string): Promise<SmaregiTransaction | null>;
  /** GET /pos/customers/{id}; null on 404. */
  getCustomer(contractId: string, customerId: string): Promise<SmaregiCustomer | null>;
  /** GET /pos/customers?customer_code=...: the customer with this code, or null. */
  findCustomerByCode(contractId: string, customerCode: string): Promise<SmaregiCustomer | null>;
  /** POST /pos/customers: the created customer (with its customerId). */
  createCustomer(contractId: string, customer: NewSmaregiCustomer): Promise<SmaregiCustomer>;
  /**
   * GET /pos/customers/point?customer_id=...: the customer's point field as Smaregi has it now (expired points
   * forfeited first), or null when Smaregi has no such customer.
   */
  getCustomerPoint(contractId: string, customerId: string): Promise<number | null>;
  /** PATCH /pos/customers/{id}/point: the customer's point field set to `point` (absolute). */
  setCustomerPoint(contractId: string, customerId: string, point: number): Promise<void>;
  /**
   * PATCH /pos/customers/point/bulk (absolute, asynchronous, at most 100): Smaregi POSTs the result to callbackUrl
   * later; the answer is its requestId.
   */
  setCustomerPointsBulk(contractId: string, points: { customerId: string; point: number }[], callbackUrl: string): Promise<{ requestId: string }>;
}
