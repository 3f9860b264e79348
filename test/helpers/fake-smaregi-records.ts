/**
 * The records the fake Smaregi API (fake-smaregi.ts) answers with, shaped as the Platform API sends them: every
 * number and id a string, every unset field null (never left out), datetimes `YYYY-MM-DDThh:mm:ss+09:00`.
 */

/** What a test gives for a field: numbers are turned into Smaregi's numeric strings. */
export type FakeValue = string | number | null;
export type FakeFields = Record<string, FakeValue | undefined>;

/** Smaregi writes datetimes in JST with the offset, to the second. */
export function smaregiDateTime(at: Date): string {
  const jst = new Date(at.getTime() + 9 * 3_600_000).toISOString();
  return `${jst.slice(0, 19)}+09:00`;
}

function strings(fields: FakeFields): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) out[key] = value === null ? null : String(value);
  }
  return out;
}

/** A transaction head as GET /pos/transactions/{id} answers it (a one-item ¥120 cash sale unless told otherwise). */
export function transactionHead(id: string, at: Date, fields: FakeFields): Record<string, string | null> {
  const when = smaregiDateTime(at);
  return {
    transactionHeadId: id,
    transactionDateTime: when,
    transactionHeadDivision: '1',
    cancelDivision: '0',
    unitNonDiscountsubtotal: '120',
    unitDiscountsubtotal: '0',
    subtotal: '120',
    subtotalDiscountPrice: '0',
    subtotalDiscountRate: '0.00',
    subtotalDiscountDivision: null,
    pointDiscount: '0',
    couponDiscount: '0',
    total: '120',
    taxInclude: '9',
    taxExclude: '0',
    roundingDivision: '00',
    roundingPrice: '0',
    cashTotal: '120',
    creditTotal: '0',
    deposit: '120',
    change: '0',
    amount: '1',
    returnAmount: '0',
    costTotal: '0.00000',
    newPoint: '0',
    spendPoint: '0',
    point: '0',
    totalPoint: '0',
    storeId: '1',
    terminalId: '1',
    customerId: null,
    customerCode: null,
    terminalTranId: id,
    terminalTranDateTime: when,
    sumDivision: '0',
    sumDate: when.slice(0, 10),
    staffId: null,
    memo: null,
    disposeDivision: '0',
    disposeServerTransactionHeadId: null,
    cancelDateTime: null,
    transactionUuid: `${id.padStart(10, '0')}`,
    updDateTime: when,
    ...strings(fields),
  };
}

/** A detail line of a transaction (details[] with with_details=all). */
export function transactionDetail(headId: string, index: number, fields: FakeFields): Record<string, string | null> {
  return {
    transactionHeadId: headId,
    transactionDetailId: String(index + 1),
    parentTransactionDetailId: null,
    transactionDetailDivision: '1',
    productId: null,
    productCode: null,
    productName: null,
    taxDivision: '0',
    price: '0',
    salesPrice: '0',
    unitDiscountPrice: '0',
    unitDiscountRate: '0.00',
    unitDiscountDivision: null,
    quantity: '1',
    unitDiscountedSum: '0',
    categoryId: null,
    categoryName: null,
    salesDivision: '0',
    discountPriceProportional: '0',
    discountPointProportional: '0',
    discountCouponProportional: '0',
    ...strings(fields),
  };
}

const CUSTOMER_FIELDS = [
  'customerNo', 'rank', 'staffRank', 'lastName', 'firstName', 'lastKana', 'firstKana', 'postCode', 'address',
  'phoneNumber', 'faxNumber', 'mobileNumber', 'mailAddress', 'mailAddress2', 'mailAddress3', 'companyName',
  'departmentName', 'managerialPosition', 'sex', 'birthDate', 'mile', 'pointExpireDate', 'lastComeDateTime',
  'entryDate', 'leaveDate', 'pointGivingUnitPrice', 'pointGivingUnit', 'pinCode', 'passportNo', 'nationality',
  'alphabetName', 'mailReceiveFlag', 'note', 'note2', 'favoriteList', 'browsingList', 'storeId',
] as const;

/** The writable fields of a customer a request or a test gave, as strings (unknown keys dropped). */
export function customerFields(fields: FakeFields): Record<string, string | null> {
  const known: FakeFields = { customerCode: fields.customerCode, status: fields.status };
  for (const key of CUSTOMER_FIELDS) known[key] = fields[key];
  return strings(known);
}

/** A customer as GET /pos/customers/{id} answers it. */
export function customerRecord(id: string, fields: Record<string, string | null>, point: number, at: Date): Record<string, string | null> {
  const blank = Object.fromEntries(CUSTOMER_FIELDS.map((key) => [key, null])) as Record<string, string | null>;
  const when = smaregiDateTime(at);
  return {
    customerId: id,
    customerCode: null,
    ...blank,
    sex: '0',
    status: '0',
    mailReceiveFlag: '1',
    entryDate: when.slice(0, 10),
    insDateTime: when,
    ...fields,
    point: String(point),
    updDateTime: when,
  };
}

/** An RFC 7807 problem, as Smaregi's API answers an error. */
export function problem(status: number, title: string, detail?: string): Record<string, unknown> {
  return { type: 'about:blank', title, status, ...(detail === undefined ? {} : { detail }) };
}

/** The API's answer to a missing, unknown or expired access token (quoted from the real API). */
export const ACCESS_DENIED = {
  type: 'https://api.smaregi.jp/problems/oauth2/access_denied',
  title: 'Access Denied',
  status: 401,
  error: 'access_denied',
  error_description: 'The resource owner or authorization server denied the request.',
};
