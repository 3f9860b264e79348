import { prng } from '@omo/tools/testing/random';
import { startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A fuzz pass over the gateway: a few hundred generated requests that are malformed, hostile or refused (deep
 * nesting, a thousand aliases, wrong variable types, unknown ids, giant strings, unicode junk, null bytes,
 * fragment cycles, batches, bodies that are not JSON, wrong content types and methods, GET requests, mutations
 * with bad input from every kind of caller). The generator is seeded, so every run sends the same requests.
 * Each must be answered quickly with a GraphQL error or data and nothing internal, and none may write.
 */
const SEED = 0x5eed_f022;
const CASES = 400;
const TIME_LIMIT_MS = 2_000;
/** Under the gateway's 100kb body limit once wrapped in JSON. */
const LARGE = 90_000;
const HUGE = 1_000_000;

/** Traces of internals that must never reach a client: stack frames, paths, connection strings, raw error names. */
const LEAKS: [string, RegExp][] = [
  ['a stack frame', /^\s*at \S/m],
  ['a source position', /\.[cm]?[jt]s:\d+:\d+/],
  ['a repository path', /\/work\//],
  ['node_modules', /node_modules/],
  ['a connection string', /mongodb:\/\//],
  ['a JavaScript error name', /(?<!Syntax )\b\w*Error: /],
  ['a socket error', /ECONNREFUSED|ECONNRESET|EPIPE/],
  ['a database error', /E11000|MongoServerError|FerretDB/i],
  ['a loopback address', /127\.0\.0\.1|localhost:\d+/],
];
/** Extension keys the gateway lets through (see lib/core/errors.ts); anything else is internal detail. */
const PUBLIC_EXTENSIONS = new Set(['code', 'field', 'limit', 'existingMemberCode']);
const ERROR_KEYS = new Set(['message', 'locations', 'path', 'extensions']);

type Caller = 'anonymous' | 'customer' | 'staff' | 'pos' | 'forged';

interface FuzzCase {
  label: string;
  method: string;
  search?: string;
  headers: Record<string, string>;
  body?: string;
}

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  ms: number;
}

/** mulberry32, with the helpers the generator needs. */
class Random {
  readonly next: () => number;

  constructor(seed: number) {
    this.next = prng(seed);
  }

  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  hex(length: number): string {
    return Array.from({ length }, () => '0123456789abcdef'[this.int(0, 15)]).join('');
  }

  ascii(length: number): string {
    return Array.from({ length }, () => String.fromCharCode(this.int(0x21, 0x7e))).join('');
  }

  /** Code points a client should never rely on: controls, NUL, lone surrogates, bidi marks, noncharacters, emoji. */
  junk(length: number): string {
    const pieces = ['\u0000', '\u0001', '\u001b', '\u007f', '\u200b', '\u202e', '\u2028', '\ufeff', '\uffff', '\ud800', '\udfff', '🧨', '𝕏', 'é', '\u0301', '"', '\\', '{', '}', '$', '#', '…', '漢'];
    return Array.from({ length }, () => this.pick(pieces)).join('');
  }
}

let system: TestSystem;
let callerHeaders: Record<Caller, Record<string, string>>;
let member: { id: string; memberCode: string };
let otherMember: { id: string; memberCode: string };
let storeId: string;
let otherStoreId: string;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false });
  const stores = await system.db.collection('stores').insertMany([
    { code: 'S001', name: '新宿店', kind: 'PHYSICAL' },
    { code: 'S002', name: '渋谷店', kind: 'PHYSICAL' },
  ]);
  storeId = stores.insertedIds[0]!.toHexString();
  otherStoreId = stores.insertedIds[1]!.toHexString();
  const register = async (input: Record<string, unknown>) => {
    const response = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input },
      system.adminHeaders(),
    );
    return response.data!.registerMember;
  };
  member = await register({ displayName: '山田花子', email: 'hanako@example.com', phone: '090-1000-0001', registeredVia: 'ONLINE' });
  otherMember = await register({ displayName: '佐藤太郎', email: 'taro@example.com', registeredVia: 'ONLINE' });
  callerHeaders = {
    anonymous: {},
    customer: system.customerHeaders(member.id),
    staff: system.adminHeaders(),
    pos: await system.posHeaders([storeId]),
    forged: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJzdGFmZi0xIiwicm9sZSI6IkFETUlOIn0.' },
  };
});
afterAll(() => system.close());

const JSON_TYPE = { 'content-type': 'application/json' };

function post(label: string, caller: Caller, payload: unknown, headers: Record<string, string> = {}): FuzzCase {
  return { label, method: 'POST', headers: { ...JSON_TYPE, ...callerHeaders[caller], ...headers }, body: JSON.stringify(payload) };
}

function raw(label: string, body: string, headers: Record<string, string> = JSON_TYPE): FuzzCase {
  return { label, method: 'POST', headers, body };
}

const nested = (open: string, inner: string, close: string, depth: number) => open.repeat(depth) + inner + close.repeat(depth);

/**
 * Mutations that must be refused whatever the generator fills in: each either comes from a caller who may not
 * call it, or carries at least one defect the service always rejects (an unknown or malformed id, a value out of
 * range, a rule broken). None of them may write.
 */
function refusedMutation(r: Random): FuzzCase {
  const unknownId = r.hex(24);
  const junkId = r.pick(['', 'x', r.junk(5), r.hex(23), `${r.hex(24)}0`, '../../etc/passwd', '{"$ne":null}']);
  const anyId = r.pick([unknownId, junkId]);
  const text = () => r.pick(['店頭', r.ascii(r.int(1, 40)), r.junk(r.int(1, 30)), 'x'.repeat(r.int(201, 5_000))]);
  const lines = [{ sku: 'TEA-01', name: '煎茶', unitPrice: 1000, quantity: 1 }];
  const purchase = (change: Record<string, unknown>) => ({
    idempotencyKey: `fuzz-${r.hex(8)}`,
    storeId,
    memberCode: member.memberCode,
    lines,
    total: 1000,
    ...change,
  });
  const RECORD = 'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id status } }';
  const REGISTER = 'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }';
  const ADJUST = 'mutation($m: ID!, $a: Int!, $r: String!, $k: String!) { adjustPoints(memberId: $m, amount: $a, reason: $r, idempotencyKey: $k) { account { balance } } }';
  const outsider = (): Caller => r.pick(['anonymous', 'customer', 'forged']);

  const cases: (() => FuzzCase)[] = [
    () =>
      post('registerMember by a caller who may not register', outsider(), {
        query: REGISTER,
        variables: { input: { displayName: text(), email: `${r.hex(6)}@example.com`, registeredVia: 'ONLINE' } },
      }),
    () => {
      const defect = r.pick([
        { email: `${r.ascii(8)}-not-an-email` },
        { email: null, phone: null },
        { displayName: 'あ'.repeat(r.int(51, 500)) },
        { displayName: '   ' },
        { email: 'hanako@example.com' },
        { phone: `+81${r.junk(8)}` },
      ]);
      return post('registerMember with a defect', r.pick(['staff', 'pos']), {
        query: REGISTER,
        variables: { input: { displayName: '新規', email: `${r.hex(6)}@example.com`, registeredVia: 'STORE', registeredStoreId: storeId, ...defect } },
      });
    },
    () =>
      post('registerMember at a store outside the key', 'pos', {
        query: REGISTER,
        variables: { input: { displayName: '他店', email: `${r.hex(6)}@example.com`, registeredVia: 'STORE', registeredStoreId: otherStoreId } },
      }),
    () => post('recordPurchase by a caller who may not record', outsider(), { query: RECORD, variables: { input: purchase({}) } }),
    () => post('recordPurchase at a store outside the key', 'pos', { query: RECORD, variables: { input: purchase({ storeId: otherStoreId }) } }),
    () => {
      const defect = r.pick([
        { lines: [], total: 0 },
        { lines: [{ ...lines[0], unitPrice: -r.int(1, 10_000) }], total: -1000 },
        { lines: [{ ...lines[0], quantity: 0 }], total: 0 },
        { total: r.int(1, 999) },
        { storeId: unknownId },
        { storeId: junkId },
        { memberCode: '2900000000001' },
        { memberCode: '2900000000002' },
        { memberCode: r.junk(13) },
        { memberCode: member.memberCode, memberId: member.id },
        { pointsToRedeem: r.int(1_001, 100_000) },
        { pointsToRedeem: -r.int(1, 100) },
        { discount: 2_000, total: -1000 },
        { lines: [lines[0], lines[0]], total: 2000 },
        { occurredAt: new Date(Date.now() + 10 * 86_400_000).toISOString() },
        { idempotencyKey: r.pick(['', ' ', 'k'.repeat(r.int(201, 2_000))]) },
        { lines: [{ ...lines[0], unitPrice: 1.5 }] },
        { total: '1000' },
      ]);
      return post('recordPurchase with a defect', r.pick(['staff', 'pos']), { query: RECORD, variables: { input: purchase(defect) } });
    },
    () => post('adjustPoints by a caller who may not adjust', r.pick(['anonymous', 'customer', 'pos', 'forged']), { query: ADJUST, variables: { m: member.id, a: r.int(1, 500), r: text(), k: `fuzz-${r.hex(8)}` } }),
    () => {
      const defect = r.pick([
        { a: 0 },
        { a: r.pick([1_000_000_001, 2_147_483_647, -2_147_483_648]) },
        { a: -r.int(10_000, 1_000_000) },
        { r: r.pick(['', ' ', '\u3000', 'r'.repeat(r.int(201, 3_000))]) },
        { k: r.pick(['', ' ', 'k'.repeat(r.int(201, 3_000))]) },
        { m: anyId },
        { a: r.pick([1.5, '10', true, null, [1], { $gt: 0 }]) },
      ]);
      return post('adjustPoints with a defect', 'staff', { query: ADJUST, variables: { m: member.id, a: r.int(1, 100), r: 'fuzz', k: `fuzz-${r.hex(8)}`, ...defect } });
    },
    () =>
      post('createStore by a caller who may not', r.pick(['anonymous', 'customer', 'pos', 'forged']), {
        query: 'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
        variables: { input: { code: `F${r.hex(4)}`, name: text(), kind: 'PHYSICAL' } },
      }),
    () =>
      post('createStore with a defect', 'staff', {
        query: 'mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }',
        variables: {
          input: r.pick([
            { code: 'S001', name: '重複', kind: 'PHYSICAL' },
            { code: r.junk(6), name: 'junk', kind: 'PHYSICAL' },
            { code: 'C'.repeat(r.int(21, 500)), name: 'long', kind: 'PHYSICAL' },
            { code: `F${r.hex(4)}`, name: 'bad kind', kind: r.pick(['SHOP', 'physical', '', 42]) },
            { code: `F${r.hex(4)}`, name: '', kind: 'PHYSICAL' },
            { code: `F${r.hex(4)}`, name: 'no kind' },
          ]),
        },
      }),
    () =>
      post('createCampaign with a defect or by a caller who may not', r.pick(['staff', 'anonymous', 'customer', 'pos']), {
        query: 'mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }',
        variables: {
          input: {
            name: 'fuzz',
            kind: 'FIXED_BONUS',
            bonusPoints: 10,
            startsAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
            endsAt: r.pick([new Date(Date.now() + 86_400_000).toISOString(), new Date(0).toISOString()]),
          },
        },
      }),
    () =>
      post('setTierRules with a defect', r.pick(['staff', 'pos', 'customer']), {
        query: 'mutation($t: [TierRuleInput!]!) { setTierRules(tiers: $t) { tierWindowDays } }',
        variables: {
          t: r.pick([
            [],
            [{ tier: 'REGULAR', minSpend: 0, multiplierPercent: 100 }],
            [{ tier: 'REGULAR', minSpend: 10, multiplierPercent: 100 }, { tier: 'SILVER', minSpend: 5, multiplierPercent: 100 }, { tier: 'GOLD', minSpend: 6, multiplierPercent: 100 }, { tier: 'PLATINUM', minSpend: 7, multiplierPercent: 100 }],
            [{ tier: 'DIAMOND', minSpend: 0, multiplierPercent: 100 }],
          ]),
        },
      }),
    () =>
      post('setPointsPolicy with a defect', r.pick(['staff', 'pos', 'anonymous']), {
        query: 'mutation($p: SetPointsPolicyInput!) { setPointsPolicy(input: $p) { rounding } }',
        variables: { p: r.pick([{ ratePoints: r.int(1, 5) }, { channel: 'STORE' }, { ratePerYen: r.int(1, 100) }]) },
      }),
    () =>
      post('setStoreEarnRate for a malformed store', 'staff', {
        query: 'mutation($i: SetStoreEarnRateInput!) { setStoreEarnRate(input: $i) { rounding } }',
        variables: { i: { storeId: junkId, ratePoints: 2, ratePerYen: 100 } },
      }),
    () => {
      const [caller, id, input] = r.pick<[Caller, string, Record<string, unknown>]>([
        [r.pick(['staff', 'customer']), anyId, { displayName: text() }],
        ['customer', otherMember.id, { displayName: '乗っ取り' }],
        [r.pick(['anonymous', 'pos', 'forged']), member.id, { displayName: '乗っ取り' }],
        [r.pick(['staff', 'customer']), member.id, { email: `${r.ascii(5)} not mail` }],
        [r.pick(['staff', 'customer']), member.id, { displayName: 'あ'.repeat(r.int(51, 400)) }],
        [r.pick(['staff', 'customer']), member.id, { email: null, phone: null }],
      ]);
      return post('updateMember that must be refused', caller, { query: 'mutation($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { id } }', variables: { id, input } });
    },
    () => {
      const [caller, id] = r.pick<[Caller, string]>([
        [r.pick(['staff', 'customer']), anyId],
        ['customer', otherMember.id],
        [r.pick(['anonymous', 'pos', 'forged']), member.id],
      ]);
      return post('withdrawMember that must be refused', caller, { query: 'mutation($id: ID!) { withdrawMember(id: $id) { id } }', variables: { id } });
    },
    () => {
      const [caller, survivorId, mergedId] = r.pick<[Caller, string, string]>([
        ['staff', member.id, member.id],
        ['staff', unknownId, member.id],
        ['staff', member.id, anyId],
        ['customer', member.id, otherMember.id],
        ['pos', member.id, otherMember.id],
        ['anonymous', member.id, otherMember.id],
      ]);
      return post('mergeMembers that must be refused', caller, { query: 'mutation($s: ID!, $m: ID!) { mergeMembers(survivorId: $s, mergedId: $m) { id } }', variables: { s: survivorId, m: mergedId } });
    },
    () =>
      post('updateStore, endCampaign or refundPurchase of an unknown id', r.pick(['staff', 'pos']), {
        query: r.pick([
          'mutation($id: ID!) { updateStore(id: $id, input: { name: "x" }) { id } }',
          'mutation($id: ID!) { endCampaign(id: $id) { id } }',
          'mutation($id: ID!) { updateCampaign(id: $id, input: { name: "x" }) { id } }',
          'mutation($id: ID!) { refundPurchase(input: { purchaseId: $id, idempotencyKey: "fuzz", amount: 100 }) { id } }',
        ]),
        variables: { id: anyId },
      }),
    () => post('issueLineLinkCode without a customer', r.pick(['anonymous', 'forged']), { query: 'mutation { issueLineLinkCode { code } }' }),
    () => post('unlinkLineAccount by an outsider', r.pick(['anonymous', 'pos', 'forged']), { query: 'mutation($id: ID) { unlinkLineAccount(memberId: $id) }', variables: { id: member.id } }),
  ];
  return r.pick(cases)();
}

/** One generated request of a randomly chosen family. */
function generate(r: Random): FuzzCase {
  const caller = (): Caller => r.pick(['anonymous', 'customer', 'staff', 'pos', 'forged']);
  const families: (() => FuzzCase)[] = [
    () => {
      const cycles = r.int(3, 700);
      const query = `query($id: ID!) { member(id: $id) { ${nested('purchases { nodes { member { ', 'id', ' } } }', cycles)} } }`;
      return post(`a selection ${cycles * 3} levels deep`, caller(), { query, variables: { id: member.id } });
    },
    () => {
      const depth = r.int(10, 4_000);
      return post(`nonsense fields ${depth} levels deep`, caller(), { query: `{ ${nested('a { ', 'b', ' }', depth)} }` });
    },
    () => {
      const depth = r.int(10, 4_000);
      const [open, inner, close] = r.pick([
        ['[', '"x"', ']'],
        ['{ a: ', '1', ' }'],
      ] as const);
      return post(`an argument literal nested ${depth} deep`, caller(), { query: `{ memberByCode(code: ${nested(open, inner, close, depth)}) { id } }` });
    },
    () => {
      const depth = r.int(10, 30_000);
      const [open, close] = r.pick([
        ['[', ']'],
        ['{"a":', '}'],
      ] as const);
      // written out by hand: JSON.stringify itself overflows the stack at these depths
      const body = `{"query":"query($c: String!) { memberByCode(code: $c) { id } }","variables":{"c":${nested(open, '1', close, depth)}}}`;
      return raw(`variables nested ${depth} deep`, body, { ...JSON_TYPE, ...callerHeaders[caller()] });
    },
    () => {
      const count = r.int(100, 1_200);
      const field = r.pick(['__typename', 'me { id }', 'member(id: "x") { id }', 'memberByCode(code: "1") { id }', 'earnRules { rounding }', 'stores { id }', 'campaigns { id }']);
      return post(`${count} aliases of ${field}`, caller(), { query: `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }` });
    },
    () => {
      const [query, name] = r.pick([
        ['query($v: ID!) { member(id: $v) { id } }', 'ID!'],
        ['query($v: String!) { memberByCode(code: $v) { id } }', 'String!'],
        ['query($v: Int!) { earnPreview(storeId: "000000000000000000000000", channel: STORE, amount: $v) { points } }', 'Int!'],
        ['query($v: Channel!) { earnPreview(storeId: "000000000000000000000000", channel: $v, amount: 100) { points } }', 'Channel!'],
        ['query($v: Int!) { me { purchases(first: $v) { nodes { id } } } }', 'Int!'],
        ['query($v: Boolean!) { __typename @include(if: $v) }', 'Boolean!'],
      ] as const);
      const value = r.pick<unknown>([1.5, 2 ** 31, -(2 ** 31) - 1, 1e308, true, {}, [], [1, 2], 'NaN', '', null, { $gt: '' }, { $where: 'sleep(5000)' }, r.junk(8), 'x'.repeat(r.int(1_000, LARGE))]);
      return post(`a value of the wrong type for ${name}`, caller(), { query, variables: { v: value, extra: r.junk(4) } });
    },
    () => {
      const id = r.pick([r.hex(24), r.ascii(r.int(1, 40)), r.junk(r.int(1, 20)), String(r.int(0, 1e9))]);
      const query = r.pick([
        'query($id: ID!) { member(id: $id) { id displayName points { balance } } }',
        'query($id: ID!) { store(id: $id) { id name } }',
        'query($id: ID!) { purchase(id: $id) { id amountPaid pointsEarned } }',
        'query($id: ID!) { memberByCode(code: $id) { id } }',
        'query($id: ID!) { earnPreview(storeId: $id, channel: STORE, amount: 1000, memberId: $id) { points } }',
      ]);
      return post('an unknown or malformed id', caller(), { query, variables: { id } });
    },
    () => {
      const size = r.pick([r.int(10_000, LARGE), HUGE]);
      const big = r.chance(0.5) ? 'x'.repeat(size) : r.ascii(size);
      return r.pick([
        () => post(`a ${size}-character member code`, caller(), { query: 'query($c: String!) { memberByCode(code: $c) { id } }', variables: { c: big } }),
        () => post(`a ${size}-character string literal`, caller(), { query: `{ memberByCode(code: ${JSON.stringify(big)}) { id } }` }),
        () => post(`a ${size}-character operation name`, caller(), { query: `query ${big} { __typename }`, operationName: big }),
        () => post(`a ${size}-character display name`, r.pick(['staff', 'pos']), { query: 'mutation($i: RegisterMemberInput!) { registerMember(input: $i) { id } }', variables: { i: { displayName: big, email: 'big@example.com', registeredVia: 'ONLINE' } } }),
        () => post(`a ${size}-character reason on an adjustment of zero`, 'staff', { query: 'mutation($m: ID!, $r: String!) { adjustPoints(memberId: $m, amount: 0, reason: $r, idempotencyKey: "big") { account { balance } } }', variables: { m: member.id, r: big } }),
      ])();
    },
    () => {
      const junk = r.junk(r.int(1, 200));
      return r.pick([
        () => post('unicode junk as the query', caller(), { query: junk }),
        () => post('unicode junk inside a query', caller(), { query: `{ me { id ${junk} } }` }),
        () => post('unicode junk as a member code', caller(), { query: 'query($c: String!) { memberByCode(code: $c) { id } }', variables: { c: junk } }),
        () => post('unicode junk as a variable name', caller(), { query: '{ __typename }', variables: { [junk]: junk } }),
        () => raw('unicode junk as the body', junk),
      ])();
    },
    () => {
      const base = r.pick(['{ me { id displayName } }', 'query Q($c: String!) { memberByCode(code: $c) { id } }', 'mutation { issueLineLinkCode { code } }']);
      const at = r.int(0, base.length);
      return post('a null byte in the query', caller(), { query: `${base.slice(0, at)}\u0000${base.slice(at)}`, variables: { c: `29\u0000${r.hex(4)}` } });
    },
    () => {
      const n = r.int(1, 60);
      const type = r.pick(['Query', 'Member']);
      const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on ${type} { ...F${(i + 1) % n} }`).join(' ');
      const root = type === 'Query' ? '{ ...F0 }' : `{ me { ...F0 } }`;
      return post(`a cycle of ${n} fragments on ${type}`, caller(), { query: `${root} ${fragments}` });
    },
    () => post('a fragment on a type that cannot apply', caller(), { query: r.pick(['{ ...M } fragment M on Member { id }', '{ me { ...S } } fragment S on Store { id }', '{ ...Nowhere }', '{ me { ... on Store { id } } }']) }),
    () => {
      const n = r.int(2, 40);
      return raw(`a batch of ${n} operations`, JSON.stringify(Array.from({ length: n }, () => ({ query: r.pick(['{ __typename }', '{ me { id } }', 'mutation { issueLineLinkCode { code } }']) }))), {
        ...JSON_TYPE,
        ...callerHeaders[caller()],
      });
    },
    () => {
      const valid = JSON.stringify({ query: '{ me { id } }', variables: {} });
      const body = r.pick([
        valid.slice(0, r.int(0, valid.length - 1)),
        r.ascii(r.int(1, 500)),
        'null',
        '[]',
        '""',
        String(r.int(-1e6, 1e6)),
        'true',
        '{"query": null}',
        '{"query": ""}',
        '{"query": ["{ __typename }"]}',
        '{"query": "{ __typename }", "variables": "{}"}',
        '{"query": "{ __typename }", "variables": [1]}',
        '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "00"}}}',
        '{"query": "{ __typename }", "operationName": 42}',
        '<?xml version="1.0"?><query>{ __typename }</query>',
        'query=%7B__typename%7D',
        '\u0000\u0000\u0000',
        '{"query": "{ __typename }", "query": "{ me { id } }"}',
      ]);
      return raw('a body that is not a GraphQL request', body, { ...JSON_TYPE, ...callerHeaders[caller()] });
    },
    () => {
      const contentType = r.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=fuzz',
        'application/xml',
        'application/graphql',
        'text/html',
        'application/octet-stream',
        'image/png',
        'application/jsonp',
        'APPLICATION/JSON',
        'application/json; charset=utf-8',
        '*/*',
        'application/json, text/plain',
      ]);
      const body = r.pick([JSON.stringify({ query: '{ me { id } }' }), '{ me { id } }', 'query=%7B__typename%7D']);
      return raw(`a request sent as ${contentType}`, body, { 'content-type': contentType, ...callerHeaders[caller()] });
    },
    () => raw('a request without a content type', JSON.stringify({ query: '{ __typename }' }), {}),
    () => {
      const query = r.pick(['{ __typename }', '{ me { id } }', '{ stores { id } }', 'mutation { issueLineLinkCode { code } }', `mutation { withdrawMember(id: "${member.id}") { id } }`, '{ me { id ', '{ ...A } fragment A on Query { ...A }']);
      const params = new URLSearchParams({ query });
      if (r.chance(0.3)) params.set('variables', r.pick(['{junk', '[]', '"x"', JSON.stringify({ id: r.junk(3) })]));
      if (r.chance(0.2)) params.set('extensions', r.pick(['{junk', '[]', '"x"']));
      const preflight: Record<string, string> = r.chance(0.6) ? { 'apollo-require-preflight': 'true' } : {};
      return { label: `GET ${query.slice(0, 30)}`, method: 'GET', search: `?${params.toString()}`, headers: { ...preflight, ...callerHeaders[caller()] } };
    },
    () => ({ label: 'GET with a query too long for a URL', method: 'GET', search: `?query=${'%7B'.repeat(r.int(6_000, 40_000))}`, headers: { 'apollo-require-preflight': 'true' } }),
    () => {
      const method = r.pick(['PUT', 'PATCH', 'DELETE']);
      return { label: `${method} with a query`, method, headers: { ...JSON_TYPE, ...callerHeaders[caller()] }, body: JSON.stringify({ query: 'mutation { issueLineLinkCode { code } }' }) };
    },
    () => {
      const [name, value] = r.pick<[string, string]>([
        ['authorization', `Bearer ${r.ascii(r.int(1, 300))}`],
        ['authorization', r.ascii(r.int(1, 300))],
        ['authorization', 'Bearer '],
        ['x-api-key', r.ascii(r.int(1, 300))],
        ['x-api-key', `omo_pos_${r.hex(12)}_${r.ascii(43)}`],
        ['authorization', `Bearer ${'a'.repeat(r.int(20_000, 70_000))}`],
      ]);
      return post(`a junk ${name}`, 'anonymous', { query: '{ me { id } }' }, { [name]: value });
    },
    ...Array.from({ length: 6 }, () => () => refusedMutation(r)),
  ];
  return r.pick(families)();
}

async function send(request: FuzzCase): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${system.gatewayUrl}${request.search ?? ''}`, { method: request.method, headers: request.headers, body: request.body });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text, ms: performance.now() - started };
}

/** Everything wrong with an answer, as readable lines (none for a good one). */
function problemsOf(answer: Answer): string[] {
  const problems: string[] = [];
  if (answer.ms > TIME_LIMIT_MS) problems.push(`took ${Math.round(answer.ms)} ms`);
  if (answer.status >= 500) problems.push(`HTTP ${answer.status}`);
  for (const [what, pattern] of LEAKS) if (pattern.test(answer.text)) problems.push(`shows ${what}`);
  // Node refuses oversized headers and URLs itself (431, empty body) before the gateway sees the request
  if (answer.status === 431 && answer.text === '') return problems;
  if (!answer.contentType?.startsWith('application/json')) return [...problems, `HTTP ${answer.status} answered as ${answer.contentType ?? 'nothing'}`];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [...problems, 'a body that is not JSON'];
  }
  const { data, errors } = (typeof body === 'object' && body !== null ? body : {}) as { data?: unknown; errors?: unknown };
  if (data === undefined && errors === undefined) problems.push('neither data nor errors');
  if (errors !== undefined) {
    if (!Array.isArray(errors) || errors.length === 0) return [...problems, 'errors that are not a list'];
    for (const error of errors as Record<string, unknown>[]) {
      const extensions = (error.extensions ?? {}) as Record<string, unknown>;
      if (typeof error.message !== 'string') problems.push('an error without a message');
      if (typeof extensions.code !== 'string') problems.push(`an error without a code: ${String(error.message)}`);
      if (extensions.code === 'INTERNAL_SERVER_ERROR') problems.push('an internal error for a request that was merely bad');
      const extraKeys = [...Object.keys(error).filter((k) => !ERROR_KEYS.has(k)), ...Object.keys(extensions).filter((k) => !PUBLIC_EXTENSIONS.has(k))];
      if (extraKeys.length > 0) problems.push(`an error with internal keys ${extraKeys.join(', ')}`);
    }
  }
  return problems;
}

/** Every document of every collection: the fuzz must leave the database exactly as it found it. */
async function databaseContents(): Promise<Record<string, string>> {
  const collections = await system.db.listCollections();
  const contents: Record<string, string> = {};
  for (const { name } of collections.sort((a, b) => a.name.localeCompare(b.name))) {
    // a POS key's lastUsedAt is informational: using a key is not a write the fuzz pass must not make
    const projection = name === 'api_keys' ? { lastUsedAt: 0 } : {};
    contents[name] = JSON.stringify(await system.db.collection(name).find({}, { projection }).sort({ _id: 1 }).toArray());
  }
  return contents;
}

describe('a seeded fuzz pass over the gateway', () => {
  const failures: { label: string; status: number; problems: string[]; body: string; sent?: string }[] = [];
  let before: Record<string, string>;
  let answered = 0;

  beforeAll(async () => {
    before = await databaseContents();
    const random = new Random(SEED);
    for (let i = 0; i < CASES; i += 1) {
      const request = generate(random);
      const answer = await send(request);
      answered += 1;
      const problems = problemsOf(answer);
      if (problems.length > 0) failures.push({ label: `#${i} ${request.label}`, status: answer.status, problems, body: answer.text.slice(0, 300), sent: request.body?.slice(0, 200) });
    }
  }, 120_000);

  it(`answers every one of ${CASES} hostile requests within ${TIME_LIMIT_MS} ms with a GraphQL error or data, never a 5xx or an internal detail`, () => {
    expect(answered).toBe(CASES);
    expect(failures).toEqual([]);
  });

  it('writes nothing to the database', async () => {
    expect(await databaseContents()).toEqual(before);
  });

  it('still answers a normal query afterwards', async () => {
    const response = await system.graphql('query($id: ID!) { member(id: $id) { displayName points { balance } } }', { id: member.id }, system.adminHeaders());
    expect({ data: response.data, errors: response.errors }).toEqual({ data: { member: { displayName: '山田花子', points: { balance: 100 } } }, errors: undefined });
    const health = await fetch(system.gatewayUrl.replace(/\/graphql$/, '/health'));
    expect(health.status).toBe(200);
  });
});

/**
 * Defects the fuzz pass found, each stated as the behaviour it has now: a JSON GraphQL error with a client code and
 * the right HTTP status, nothing internal in it, nothing written.
 */
describe('requests the fuzz pass once found answered badly', () => {
  const query = (payload: unknown, headers: Record<string, string> = {}): FuzzCase => ({
    label: 'found by fuzzing',
    method: 'POST',
    headers: { ...JSON_TYPE, ...headers },
    body: JSON.stringify(payload),
  });
  let before: Record<string, string>;

  beforeAll(async () => {
    before = await databaseContents();
  });

  /** What the client gets, once problemsOf has found nothing wrong with it: status, data, each error's message and code. */
  async function answerTo(request: FuzzCase) {
    const answer = await send(request);
    expect(problemsOf(answer)).toEqual([]);
    const { data, errors } = JSON.parse(answer.text) as { data?: unknown; errors?: { message: string; extensions: { code: string } }[] };
    return { status: answer.status, data, errors: errors?.map((e) => ({ message: e.message, code: e.extensions.code })) };
  }

  const refused = (status: number, message: string, code: string, data?: unknown) => ({ status, data, errors: [{ message, code }] });

  // @apollo/gateway's executor throws on an operation it cannot pick, which Apollo Server answered with HTTP 500
  it('answers an operationName the document does not define with HTTP 400 OPERATION_RESOLUTION_FAILURE', async () => {
    expect(await answerTo(query({ query: 'query A { __typename } query B { __typename }', operationName: 'C' }))).toEqual(
      refused(400, 'The document defines no operation of the given operationName', 'OPERATION_RESOLUTION_FAILURE'),
    );
  });

  it('answers a document of two operations and no operationName with HTTP 400 OPERATION_RESOLUTION_FAILURE', async () => {
    expect(await answerTo(query({ query: 'query A { __typename } query B { __typename }' }))).toEqual(
      refused(400, 'The document defines several operations: give the one to run as operationName', 'OPERATION_RESOLUTION_FAILURE'),
    );
  });

  it('runs neither of two mutations sent without an operationName', async () => {
    const mutations = 'mutation A { issueLineLinkCode { code } } mutation B { issueLineLinkCode { code } }';
    expect(await answerTo(query({ query: mutations }, callerHeaders.customer))).toEqual(
      refused(400, 'The document defines several operations: give the one to run as operationName', 'OPERATION_RESOLUTION_FAILURE'),
    );
  });

  it('answers a subscription, which the gateway does not serve, with HTTP 400 OPERATION_RESOLUTION_FAILURE', async () => {
    expect(await answerTo(query({ query: 'subscription { memberChanged { id } }' }))).toEqual(
      refused(400, 'Subscriptions are not supported', 'OPERATION_RESOLUTION_FAILURE'),
    );
  });

  // body-parser's errors other than "too large" and "not JSON" reached Express's HTML error page, with the stack
  it('answers a JSON body in a charset the gateway does not read with HTTP 415 BAD_REQUEST', async () => {
    const request = raw('latin1', JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'application/json; charset=latin1' });
    expect(await answerTo(request)).toEqual(refused(415, 'The request body must be UTF-8', 'BAD_REQUEST'));
  });

  it('answers a body that is not in the content encoding it claims with HTTP 400 BAD_REQUEST', async () => {
    const request = raw('gzip', JSON.stringify({ query: '{ __typename }' }), { ...JSON_TYPE, 'content-encoding': 'gzip' });
    expect(await answerTo(request)).toEqual(refused(400, 'The request body could not be read', 'BAD_REQUEST'));
  });

  it('answers an unknown content encoding with HTTP 415 BAD_REQUEST', async () => {
    const request = raw('x-fuzz', JSON.stringify({ query: '{ __typename }' }), { ...JSON_TYPE, 'content-encoding': 'x-fuzz' });
    expect(await answerTo(request)).toEqual(refused(415, 'The content encoding of the request body is not supported', 'BAD_REQUEST'));
  });

  // Apollo Server's own error for a hash mismatch carries no code; the gateway takes no persisted queries, even
  // with the right hash (the second one: sha256 of the query)
  it('answers a persisted query with PERSISTED_QUERY_NOT_SUPPORTED, whatever its hash', async () => {
    for (const sha256Hash of ['00', '7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b']) {
      expect(await answerTo(query({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash } } }))).toEqual(
        refused(200, 'PersistedQueryNotSupported', 'PERSISTED_QUERY_NOT_SUPPORTED'),
      );
    }
  });

  // the gateway cannot check a custom scalar: the subgraph refuses it with HTTP 400, which was masked as internal
  it('answers a DateTime variable that is not a date-time with the subgraph\'s BAD_USER_INPUT', async () => {
    const request = query({ query: 'query($at: DateTime) { campaigns(activeAt: $at) { id } }', variables: { at: 'yesterday' } }, callerHeaders.staff);
    expect(await answerTo(request)).toEqual(
      refused(200, 'Variable "$at" got invalid value "yesterday"; DateTime must be an ISO-8601 date-time string', 'BAD_USER_INPUT', null),
    );
  });

  it('answers a DateTime literal that is not a date-time with the subgraph\'s GRAPHQL_VALIDATION_FAILED', async () => {
    const request = query({ query: '{ campaigns(activeAt: "yesterday") { id } }' }, callerHeaders.staff);
    expect(await answerTo(request)).toEqual(refused(200, 'DateTime must be an ISO-8601 date-time string', 'GRAPHQL_VALIDATION_FAILED', null));
  });

  it('answers a well-formed DateTime variable with data', async () => {
    const request = query({ query: 'query($at: DateTime) { campaigns(activeAt: $at) { id } }', variables: { at: '2026-01-01T00:00:00.000Z' } }, callerHeaders.staff);
    expect(await answerTo(request)).toEqual({ status: 200, data: { campaigns: [] }, errors: undefined });
  });

  it('writes nothing to the database', async () => {
    expect(await databaseContents()).toEqual(before);
  });
});
