import { Kind, parse, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { listen } from '@omo/lib/server/http';

/**
 * A stand-in for the Shopify Admin GraphQL API on loopback (POST /admin/api/<version>/graphql.json), speaking the
 * three operations the purchases service sends for coupons' discount codes: codeDiscountNodeByCode,
 * discountCodeBasicCreate and discountCodeDeactivate. Like Shopify it answers 401 to a token it does not know,
 * keeps codes case-insensitively unique per shop (userErrors TAKEN), reports a deactivated or ended code as EXPIRED,
 * and puts the query cost in extensions. A test can `use` a code as a checkout would (usage limit, window,
 * customer), script the next calls' failures (429 with Retry-After, the cost throttle (THROTTLED), a 5xx, a slow
 * call), and have one shop refuse creates with a userError.
 */
export interface FakeDiscountCode {
  id: string;
  shop: string;
  title: string;
  code: string;
  startsAt: string;
  endsAt: string | null;
  /** `all` (any buyer) or the customer GIDs that may use it. */
  buyers: 'ALL' | string[];
  value: { amount: number } | { percentage: number };
  usageLimit: number | null;
  appliesOncePerCustomer: boolean;
  deactivatedAt: string | null;
  /** Customers (or "guest") who used it, in order. */
  uses: string[];
}

/**
 * A failure of the next call: an HTTP status (429 with Retry-After in seconds), the cost throttle for a query of
 * `requestedQueryCost` points, or a slow call (carried out and answered after `ms`, whether or not the caller still
 * waits, as Shopify finishes a request its client gave up on).
 */
export type ScriptedFailure =
  | { kind: 'http'; status: number; retryAfterSeconds?: number }
  | { kind: 'throttled'; requestedQueryCost: number; currentlyAvailable: number }
  | { kind: 'slow'; ms: number };

/** A userError as Shopify puts it in a mutation's payload. */
export interface FakeUserError {
  field: string[];
  code: string;
  message: string;
}

export interface FakeShopifyAdmin {
  url: string;
  /** Every call, in order: the shop (null for a refused token), the root field, the variables and the status sent. */
  calls: { shop: string | null; field: string | null; variables: Record<string, unknown>; status: number }[];
  codes(shop?: string): FakeDiscountCode[];
  code(shop: string, code: string): FakeDiscountCode | undefined;
  /** The next `times` calls (any shop) fail this way. */
  failNext(failure: ScriptedFailure, times?: number): void;
  /** From now on `shop` refuses every discountCodeBasicCreate with this userError (null: no more). */
  refuseCreates(shop: string, userError: FakeUserError | null): void;
  /** A checkout applying `code`: whether Shopify accepts it now, and if so it counts as used once. */
  use(shop: string, code: string, customerGid?: string | null): { applied: true } | { applied: false; reason: string };
  close(): Promise<void>;
}

const REQUESTED_COST = 10;
const THROTTLE = { maximumAvailable: 2000, restoreRate: 100 };

export async function startFakeShopifyAdmin(options: { tokens: Record<string, string>; now?: () => Date }): Promise<FakeShopifyAdmin> {
  const now = options.now ?? (() => new Date());
  const codes: FakeDiscountCode[] = [];
  const calls: FakeShopifyAdmin['calls'] = [];
  const failures: ScriptedFailure[] = [];
  const refusals = new Map<string, FakeUserError>();
  let nextId = 1_000_000;

  const statusOf = (code: FakeDiscountCode): 'ACTIVE' | 'EXPIRED' | 'SCHEDULED' => {
    const at = now().getTime();
    if (code.deactivatedAt || (code.endsAt && Date.parse(code.endsAt) <= at)) return 'EXPIRED';
    return Date.parse(code.startsAt) > at ? 'SCHEDULED' : 'ACTIVE';
  };
  const find = (shop: string, value: string) => codes.find((c) => c.shop === shop && c.code.toLowerCase() === value.toLowerCase());
  const node = (code: FakeDiscountCode) => ({ id: code.id, codeDiscount: { __typename: 'DiscountCodeBasic', status: statusOf(code), title: code.title } });
  const cost = (currentlyAvailable: number, requestedQueryCost = REQUESTED_COST) => ({
    cost: { requestedQueryCost, actualQueryCost: currentlyAvailable >= requestedQueryCost ? requestedQueryCost : null, throttleStatus: { ...THROTTLE, currentlyAvailable } },
  });

  const create = (shop: string, input: Record<string, unknown>) => {
    const userErrors: FakeUserError[] = [];
    const refusal = refusals.get(shop);
    if (refusal) userErrors.push(refusal);
    const code = typeof input.code === 'string' ? input.code : '';
    if (!code) userErrors.push({ field: ['basicCodeDiscount', 'code'], code: 'BLANK', message: "Code can't be blank" });
    else if (find(shop, code)) userErrors.push({ field: ['basicCodeDiscount', 'code'], code: 'TAKEN', message: 'Code must be unique. Please try a different code.' });
    if (!input.title) userErrors.push({ field: ['basicCodeDiscount', 'title'], code: 'BLANK', message: "Title can't be blank" });
    const startsAt = typeof input.startsAt === 'string' ? input.startsAt : now().toISOString();
    const endsAt = typeof input.endsAt === 'string' ? input.endsAt : null;
    if (endsAt && Date.parse(endsAt) <= Date.parse(startsAt)) userErrors.push({ field: ['basicCodeDiscount', 'endsAt'], code: 'INVALID', message: 'Ends at needs to be after starts_at' });
    const context = (input.context ?? {}) as { all?: string; customers?: { add?: string[] } };
    const value = ((input.customerGets ?? {}) as { value?: { discountAmount?: { amount?: string }; percentage?: number } }).value ?? {};
    if (userErrors.length) return { discountCodeBasicCreate: { codeDiscountNode: null, userErrors } };
    const stored: FakeDiscountCode = {
      id: `gid://shopify/DiscountCodeNode/${nextId++}`,
      shop,
      title: String(input.title),
      code,
      startsAt,
      endsAt,
      buyers: context.customers?.add?.length ? context.customers.add : 'ALL',
      value: value.discountAmount ? { amount: Number(value.discountAmount.amount) } : { percentage: Number(value.percentage) },
      usageLimit: typeof input.usageLimit === 'number' ? input.usageLimit : null,
      appliesOncePerCustomer: input.appliesOncePerCustomer === true,
      deactivatedAt: null,
      uses: [],
    };
    codes.push(stored);
    return { discountCodeBasicCreate: { codeDiscountNode: { id: stored.id }, userErrors: [] } };
  };

  const deactivate = (shop: string, id: unknown) => {
    const code = codes.find((c) => c.shop === shop && c.id === id);
    if (!code) return { discountCodeDeactivate: { codeDiscountNode: null, userErrors: [{ field: ['id'], code: 'INVALID', message: 'Discount does not exist' }] } };
    code.deactivatedAt ??= now().toISOString();
    return { discountCodeDeactivate: { codeDiscountNode: node(code), userErrors: [] } };
  };

  const server = await listen(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    const shop = options.tokens[String(req.headers['x-shopify-access-token'] ?? '')] ?? null;
    const call: FakeShopifyAdmin['calls'][number] = { shop, field: null, variables: {}, status: 0 };
    calls.push(call);
    const answer = (status: number, payload: unknown, headers?: Record<string, string>) => {
      call.status = status;
      send(status, payload, headers);
    };
    if (req.method !== 'POST' || !/^\/admin\/api\/\d{4}-\d{2}\/graphql\.json$/.test(req.url ?? '')) return answer(404, { errors: 'Not Found' });
    if (!shop) return answer(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    let body: { query?: string; variables?: Record<string, unknown> };
    let field: FieldNode | undefined;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      const operation = parse(body.query ?? '').definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      field = operation?.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD);
    } catch {
      return answer(400, { errors: [{ message: 'Parse error', extensions: { code: 'BAD_REQUEST' } }] });
    }
    call.field = field?.name.value ?? null;
    call.variables = body.variables ?? {};
    const failure = failures.shift();
    if (failure?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, failure.ms));
    if (failure?.kind === 'http') {
      const headers: Record<string, string> = failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {};
      return answer(failure.status, { errors: failure.status === 429 ? 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' : 'Internal Server Error' }, headers);
    }
    if (failure?.kind === 'throttled') {
      return answer(200, { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }], extensions: cost(failure.currentlyAvailable, failure.requestedQueryCost) });
    }
    const vars = call.variables;
    let data: unknown;
    if (call.field === 'codeDiscountNodeByCode') {
      const found = typeof vars.code === 'string' ? find(shop, vars.code) : undefined;
      data = { codeDiscountNodeByCode: found ? node(found) : null };
    } else if (call.field === 'discountCodeBasicCreate') {
      data = create(shop, (vars.basicCodeDiscount ?? {}) as Record<string, unknown>);
    } else if (call.field === 'discountCodeDeactivate') {
      data = deactivate(shop, vars.id);
    } else {
      return answer(200, { errors: [{ message: `Field '${call.field ?? '?'}' doesn't exist on type 'QueryRoot'`, extensions: { code: 'undefinedField' } }] });
    }
    answer(200, { data, extensions: cost(THROTTLE.maximumAvailable - REQUESTED_COST) });
  }, 0);

  return {
    url: server.url,
    calls,
    codes: (shop) => codes.filter((c) => !shop || c.shop === shop),
    code: (shop, value) => find(shop, value),
    failNext: (failure, times = 1) => {
      for (let i = 0; i < times; i += 1) failures.push(failure);
    },
    refuseCreates: (shop, userError) => void (userError ? refusals.set(shop, userError) : refusals.delete(shop)),
    use: (shop, value, customerGid = null) => {
      const code = find(shop, value);
      if (!code) return { applied: false, reason: 'Enter a valid discount code' };
      if (statusOf(code) !== 'ACTIVE') return { applied: false, reason: 'This discount code is no longer valid' };
      if (code.buyers !== 'ALL' && (!customerGid || !code.buyers.includes(customerGid))) return { applied: false, reason: 'This discount code is not available to this customer' };
      if (code.usageLimit !== null && code.uses.length >= code.usageLimit) return { applied: false, reason: 'This discount code has reached its usage limit' };
      if (code.appliesOncePerCustomer && customerGid && code.uses.includes(customerGid)) return { applied: false, reason: 'This discount code has already been used' };
      code.uses.push(customerGid ?? 'guest');
      return { applied: true };
    },
    close: () => server.close(),
  };
}
