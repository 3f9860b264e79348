import jwt from 'jsonwebtoken';
import { startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

const BY_CODE = /* GraphQL */ `query ByCode($code: String!) { memberByCode(code: $code) { id displayName } }`;
const BY_ID = /* GraphQL */ `query ById($id: ID!) { member(id: $id) { id displayName } }`;
const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }
`;

/** 13 digits whose EAN-13 check digit (the last one) is right: 2·1 + 9·3 = 29, so the check digit is 1. */
const UNUSED_VALID_CODE = '2900000000001';
const WRONG_SECRET = 'not-the-real-secret-0123456789abcdef0123456789';

/** What a client sees of a failed request: status, data, and the one error's message and complete extensions. */
function failure(response: GraphQLResponse) {
  expect(response.errors).toHaveLength(1);
  const [error] = response.errors ?? [];
  // a GraphQL error has these keys and nothing else: no stack, no internal ids
  expect(Object.keys(error ?? {}).filter((key) => !['message', 'locations', 'path', 'extensions'].includes(key))).toEqual([]);
  return { status: response.status, data: response.data, message: error?.message, extensions: error?.extensions };
}

/** Posts a raw body to a GraphQL endpoint: for what `system.graphql` cannot send (oversized or broken bodies). */
async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.json() };
}

let system: TestSystem;
let storeId: string;
let otherStoreId: string;
let member: { id: string; memberCode: string };
let otherMember: { id: string; memberCode: string };

/** Documents in the collections a registration writes to, to prove a refused one wrote nothing. */
async function registrationWrites() {
  return {
    members: await system.db.collection('members').countDocuments(),
    claims: await system.db.collection('member_contact_claims').countDocuments(),
  };
}

async function registerAsStaff(input: Record<string, unknown>) {
  const response = await system.graphql<{ registerMember: { id: string; memberCode: string } }>(REGISTER, { input }, system.staffHeaders());
  expect(response.errors).toBeUndefined();
  return response.data!.registerMember;
}

beforeAll(async () => {
  system = await startTestSystem();
  const stores = await system.db.collection('stores').insertMany([
    { code: 'S001', name: '新宿店', kind: 'PHYSICAL' },
    { code: 'S002', name: '渋谷店', kind: 'PHYSICAL' },
  ]);
  storeId = stores.insertedIds[0]!.toHexString();
  otherStoreId = stores.insertedIds[1]!.toHexString();
  member = await registerAsStaff({ displayName: '山田花子', email: 'hanako@example.com', phone: '090-1000-0001', registeredVia: 'ONLINE' });
  otherMember = await registerAsStaff({ displayName: '佐藤太郎', email: 'taro@example.com', registeredVia: 'ONLINE' });
});
afterAll(() => system.close());

describe('memberByCode with a bad code', () => {
  it('refuses a code containing letters as BAD_USER_INPUT', async () => {
    const response = await system.graphql(BY_CODE, { code: '29ABC00000001' }, system.staffHeaders());
    expect(failure(response)).toEqual({
      status: 200,
      data: { memberByCode: null },
      message: 'A member code has 13 digits',
      extensions: { code: 'BAD_USER_INPUT', field: 'code' },
    });
  });

  it('refuses a code of the wrong length as BAD_USER_INPUT', async () => {
    const response = await system.graphql(BY_CODE, { code: '290000000001' }, system.staffHeaders());
    expect(failure(response)).toEqual({
      status: 200,
      data: { memberByCode: null },
      message: 'A member code has 13 digits',
      extensions: { code: 'BAD_USER_INPUT', field: 'code' },
    });
  });

  it('refuses a code with a wrong check digit as probably mistyped', async () => {
    const response = await system.graphql(BY_CODE, { code: '2900000000002' }, system.staffHeaders());
    expect(failure(response)).toEqual({
      status: 200,
      data: { memberByCode: null },
      message: 'The member code check digit does not match: the code was probably mistyped',
      extensions: { code: 'BAD_USER_INPUT', field: 'code' },
    });
  });

  it('answers NOT_FOUND for a well-formed code that no member has', async () => {
    const response = await system.graphql(BY_CODE, { code: UNUSED_VALID_CODE }, system.staffHeaders());
    expect(failure(response)).toEqual({
      status: 200,
      data: { memberByCode: null },
      message: 'Member not found',
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('answers BAD_USER_INPUT for a member id that is not an id', async () => {
    const response = await system.graphql(BY_ID, { id: 'not-an-id' }, system.staffHeaders());
    expect(failure(response)).toEqual({
      status: 200,
      data: { member: null },
      message: 'Not a valid member id',
      extensions: { code: 'BAD_USER_INPUT', field: 'id' },
    });
  });
});

describe('registerMember with bad input writes nothing', () => {
  it('refuses an invalid e-mail address as BAD_USER_INPUT on field email', async () => {
    const before = await registrationWrites();
    const response = await system.graphql(
      REGISTER,
      { input: { displayName: 'Bad Mail', email: 'not-an-e-mail', phone: '090-2000-0002', registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    );
    expect(failure(response)).toEqual({
      status: 200,
      data: null,
      message: 'The e-mail address is not valid',
      extensions: { code: 'BAD_USER_INPUT', field: 'email' },
    });
    expect(await registrationWrites()).toEqual(before);
  });

  it('refuses a registration with neither e-mail nor phone', async () => {
    const before = await registrationWrites();
    const response = await system.graphql(REGISTER, { input: { displayName: 'No Contact', registeredVia: 'ONLINE' } }, system.staffHeaders());
    expect(failure(response)).toEqual({
      status: 200,
      data: null,
      message: 'An e-mail address or a phone number is required',
      extensions: { code: 'BAD_USER_INPUT', field: 'email' },
    });
    expect(await registrationWrites()).toEqual(before);
  });

  it('refuses a display name over 50 characters', async () => {
    const before = await registrationWrites();
    const response = await system.graphql(
      REGISTER,
      { input: { displayName: 'あ'.repeat(51), email: 'long-name@example.com', registeredVia: 'ONLINE' } },
      system.staffHeaders(),
    );
    expect(failure(response)).toEqual({
      status: 200,
      data: null,
      message: 'displayName must be at most 50 characters',
      extensions: { code: 'BAD_USER_INPUT', field: 'displayName' },
    });
    expect(await registrationWrites()).toEqual(before);
  });

  it('refuses an unknown input field in the variables as BAD_USER_INPUT with HTTP 400', async () => {
    const before = await registrationWrites();
    const response = await system.graphql(
      REGISTER,
      { input: { displayName: 'Nick', email: 'nick@example.com', registeredVia: 'ONLINE', nickname: 'nick' } },
      system.staffHeaders(),
    );
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: expect.stringContaining('Field "nickname" is not defined by type "RegisterMemberInput".') as string,
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(await registrationWrites()).toEqual(before);
  });

  it('refuses an unknown input field written in the query as GRAPHQL_VALIDATION_FAILED', async () => {
    const before = await registrationWrites();
    const response = await system.graphql(
      `mutation { registerMember(input: { displayName: "Nick", email: "nick@example.com", registeredVia: ONLINE, nickname: "nick" }) { id } }`,
      {},
      system.staffHeaders(),
    );
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'Field "nickname" is not defined by type "RegisterMemberInput".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(await registrationWrites()).toEqual(before);
  });

  it('refuses a value outside an enum in the variables as BAD_USER_INPUT with HTTP 400', async () => {
    const before = await registrationWrites();
    const response = await system.graphql(
      REGISTER,
      { input: { displayName: 'Enum', email: 'enum@example.com', registeredVia: 'PHONE' } },
      system.staffHeaders(),
    );
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: expect.stringContaining('Value "PHONE" does not exist in "RegistrationChannel" enum.') as string,
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(await registrationWrites()).toEqual(before);
  });

  it('refuses a request missing a required variable as BAD_USER_INPUT with HTTP 400', async () => {
    const response = await system.graphql(BY_CODE, {}, system.staffHeaders());
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'Variable "$code" of required type "String!" was not provided.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('malformed and oversized requests', () => {
  it('refuses a query selecting an unknown field as GRAPHQL_VALIDATION_FAILED', async () => {
    const response = await system.graphql(`{ me { id nickname } }`, {}, system.customerHeaders(member.id));
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'Cannot query field "nickname" on type "Member".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('refuses a syntactically broken query as GRAPHQL_PARSE_FAILED', async () => {
    const response = await system.graphql(`{ me { id `, {}, system.customerHeaders(member.id));
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'Syntax Error: Expected Name, found <EOF>.',
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  });

  it('refuses a query of more tokens than MAX_QUERY_TOKENS as GRAPHQL_PARSE_FAILED', async () => {
    const aliases = Array.from({ length: 2000 }, (_, i) => `t${i}: __typename`).join(' ');
    const response = await system.graphql(`{ ${aliases} }`);
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      // graphql-js's own wording, typo included ("more that")
      message: expect.stringMatching(/^Syntax Error: Document contains more th[ae]t 5000 tokens\. Parsing aborted\.$/) as string,
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  });

  it('refuses a spread of an unknown fragment as GRAPHQL_VALIDATION_FAILED', async () => {
    const response = await system.graphql(`query { ...Nowhere }`);
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'Unknown fragment "Nowhere".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('refuses fragments that spread each other in a cycle as GRAPHQL_VALIDATION_FAILED', async () => {
    const response = await system.graphql(`query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }`);
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'Cannot spread fragment "A" within itself via "B".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('refuses quickly a small query whose fragments double at every level, as QUERY_TOO_COMPLEX', async () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i + 1 < levels ? `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }` : `fragment F${i} on Query { me { id } }`,
    );
    const started = Date.now();
    const response = await system.graphql(`query { ...F0 } ${fragments.join(' ')}`, {}, system.customerHeaders(member.id));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'The query expands to too many selections',
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 2000 },
    });
  });

  it('refuses a body over 100kb with HTTP 413 and a JSON GraphQL error', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(150_000) } });
    expect(await post(system.gatewayUrl, body)).toEqual({
      status: 413,
      contentType: expect.stringMatching(/^application\/json/) as string,
      body: { errors: [{ message: 'The request body is larger than 100kb', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('refuses a body that is not JSON with HTTP 400 and a JSON GraphQL error', async () => {
    expect(await post(system.gatewayUrl, '{"query": "{ __typename }"')).toEqual({
      status: 400,
      contentType: expect.stringMatching(/^application\/json/) as string,
      body: { errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });
});

describe('authentication at the gateway', () => {
  it('answers UNAUTHENTICATED to memberByCode without credentials', async () => {
    const response = await system.graphql(BY_CODE, { code: member.memberCode });
    expect(failure(response)).toEqual({
      status: 200,
      data: { memberByCode: null },
      message: 'Authentication required',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('answers UNAUTHENTICATED to member without credentials', async () => {
    const response = await system.graphql(BY_ID, { id: member.id });
    expect(failure(response)).toEqual({
      status: 200,
      data: { member: null },
      message: 'Authentication required',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses an unknown API key with HTTP 401', async () => {
    const response = await system.graphql(BY_CODE, { code: member.memberCode }, { 'x-api-key': 'omo_pos_AAAAAAAAAAAA_' + 'A'.repeat(43) });
    expect(failure(response)).toEqual({
      status: 401,
      data: undefined,
      message: 'Invalid API key',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses an over-long API key with HTTP 401', async () => {
    const response = await system.graphql(BY_CODE, { code: member.memberCode }, { 'x-api-key': 'k'.repeat(8_000) });
    expect(failure(response)).toEqual({
      status: 401,
      data: undefined,
      message: 'Invalid API key',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses an Authorization header that is not a bearer token with HTTP 401', async () => {
    const response = await system.graphql(BY_ID, { id: member.id }, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(failure(response)).toEqual({
      status: 401,
      data: undefined,
      message: 'The Authorization header must be "Bearer <token>"',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses a bearer token that is not a JWT with HTTP 401', async () => {
    const response = await system.graphql(BY_ID, { id: member.id }, { authorization: 'Bearer not.a-jwt' });
    expect(failure(response)).toEqual({
      status: 401,
      data: undefined,
      message: 'Invalid or expired token',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses an expired bearer token with HTTP 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = jwt.sign({ sub: 'staff-1', role: 'STAFF', iat: now - 3600, exp: now - 60 }, system.config.STAFF_JWT_SECRET!, {
      algorithm: 'HS256',
      issuer: system.config.STAFF_JWT_ISSUER,
      audience: system.config.STAFF_JWT_AUDIENCE,
    });
    const response = await system.graphql(BY_ID, { id: member.id }, { authorization: `Bearer ${expired}` });
    expect(failure(response)).toEqual({
      status: 401,
      data: undefined,
      message: 'Invalid or expired token',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses a bearer token signed with another secret with HTTP 401', async () => {
    const forged = jwt.sign({ sub: 'staff-1', role: 'ADMIN' }, WRONG_SECRET, {
      algorithm: 'HS256',
      expiresIn: 600,
      issuer: system.config.STAFF_JWT_ISSUER,
      audience: system.config.STAFF_JWT_AUDIENCE,
    });
    const response = await system.graphql(BY_ID, { id: member.id }, { authorization: `Bearer ${forged}` });
    expect(failure(response)).toEqual({
      status: 401,
      data: undefined,
      message: 'Invalid or expired token',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses an unsigned (alg "none") bearer token with HTTP 401', async () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'staff-1', role: 'ADMIN', iss: system.config.STAFF_JWT_ISSUER, aud: system.config.STAFF_JWT_AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    const response = await system.graphql(BY_ID, { id: member.id }, { authorization: `Bearer ${unsigned}` });
    expect(failure(response)).toEqual({
      status: 401,
      data: undefined,
      message: 'Invalid or expired token',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses a bearer token without an expiry with HTTP 401', async () => {
    const forever = jwt.sign({ sub: 'staff-1', role: 'STAFF' }, system.config.STAFF_JWT_SECRET!, {
      algorithm: 'HS256',
      issuer: system.config.STAFF_JWT_ISSUER,
      audience: system.config.STAFF_JWT_AUDIENCE,
    });
    const response = await system.graphql(BY_ID, { id: member.id }, { authorization: `Bearer ${forever}` });
    expect(failure(response)).toEqual({
      status: 401,
      data: undefined,
      message: 'Token is missing required claims',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });
});

describe('authorization at the gateway', () => {
  it('answers FORBIDDEN to a customer asking for another member by id', async () => {
    const response = await system.graphql(BY_ID, { id: otherMember.id }, system.customerHeaders(member.id));
    expect(failure(response)).toEqual({
      status: 200,
      data: { member: null },
      message: 'A customer can only see their own membership',
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it('answers FORBIDDEN to a customer asking for another member by card code', async () => {
    const response = await system.graphql(BY_CODE, { code: otherMember.memberCode }, system.customerHeaders(member.id));
    expect(failure(response)).toEqual({
      status: 200,
      data: { memberByCode: null },
      message: 'A customer can only see their own membership',
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it('answers FORBIDDEN to a POS key asking for a member by id', async () => {
    const response = await system.graphql(BY_ID, { id: member.id }, await system.posHeaders([storeId]));
    expect(failure(response)).toEqual({
      status: 200,
      data: { member: null },
      message: 'POS keys look members up by code',
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it('answers FORBIDDEN to a POS key registering a member at a store outside its scope, writing nothing', async () => {
    const pos = await system.posHeaders([storeId]);
    const before = await registrationWrites();
    const response = await system.graphql(
      REGISTER,
      { input: { displayName: '他店', email: 'other-store@example.com', registeredVia: 'STORE', registeredStoreId: otherStoreId } },
      pos,
    );
    expect(failure(response)).toEqual({
      status: 200,
      data: null,
      message: 'This key may only register members at its own stores',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await registrationWrites()).toEqual(before);
  });

  it('answers FORBIDDEN to a customer registering a member, writing nothing', async () => {
    const before = await registrationWrites();
    const response = await system.graphql(
      REGISTER,
      { input: { displayName: 'Friend', email: 'friend@example.com', registeredVia: 'ONLINE' } },
      system.customerHeaders(member.id),
    );
    expect(failure(response)).toEqual({
      status: 200,
      data: null,
      message: 'Only staff and POS keys can register members',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await registrationWrites()).toEqual(before);
  });
});

describe('a subgraph called around the gateway', () => {
  const registerDirectly = JSON.stringify({
    query: REGISTER,
    variables: { input: { displayName: 'Bypass', email: 'bypass@example.com', registeredVia: 'ONLINE' } },
  });

  it('refuses a request without the gateway credential with HTTP 401, writing nothing', async () => {
    const before = await registrationWrites();
    expect(await post(`${system.subgraphs.members.url}/graphql`, registerDirectly)).toEqual({
      status: 401,
      contentType: expect.stringMatching(/^application\/json/) as string,
      body: { errors: [{ message: 'Missing gateway credential', extensions: { code: 'UNAUTHENTICATED' } }] },
    });
    expect(await registrationWrites()).toEqual(before);
  });

  it('refuses a wrong gateway credential with HTTP 401 even with a valid staff token, writing nothing', async () => {
    const before = await registrationWrites();
    expect(await post(`${system.subgraphs.members.url}/graphql`, registerDirectly, { 'x-omo-gateway': WRONG_SECRET, ...system.adminHeaders() })).toEqual({
      status: 401,
      contentType: expect.stringMatching(/^application\/json/) as string,
      body: { errors: [{ message: 'Invalid gateway credential', extensions: { code: 'UNAUTHENTICATED' } }] },
    });
    expect(await registrationWrites()).toEqual(before);
  });

  it('refuses a customer bearer token in place of the gateway credential with HTTP 401', async () => {
    const userToken = system.customerHeaders(member.id).authorization!.replace(/^Bearer /, '');
    const response = await post(`${system.subgraphs.points.url}/graphql`, JSON.stringify({ query: '{ __typename }' }), {
      'x-omo-gateway': userToken,
    });
    expect(response).toEqual({
      status: 401,
      contentType: expect.stringMatching(/^application\/json/) as string,
      body: { errors: [{ message: 'Invalid gateway credential', extensions: { code: 'UNAUTHENTICATED' } }] },
    });
  });
});

describe('a body a server cannot read', () => {
  const readable = JSON.stringify({ query: '{ __typename }' });
  const badRequest = (status: number, message: string) => ({
    status,
    contentType: expect.stringMatching(/^application\/json/) as string,
    body: { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] },
  });

  it('is refused by the gateway in a charset other than UTF-8 with HTTP 415 and a JSON GraphQL error', async () => {
    expect(await post(system.gatewayUrl, readable, { 'content-type': 'application/json; charset=latin1' })).toEqual(
      badRequest(415, 'The request body must be UTF-8'),
    );
  });

  it('is refused by the gateway in an unknown content encoding with HTTP 415 and a JSON GraphQL error', async () => {
    expect(await post(system.gatewayUrl, readable, { 'content-encoding': 'x-unknown' })).toEqual(
      badRequest(415, 'The content encoding of the request body is not supported'),
    );
  });

  it('is refused by a subgraph in a charset other than UTF-8 with HTTP 415 and a JSON GraphQL error', async () => {
    expect(await post(`${system.subgraphs.members.url}/graphql`, readable, { 'content-type': 'application/json; charset=latin1' })).toEqual(
      badRequest(415, 'The request body must be UTF-8'),
    );
  });

  it('is refused by a subgraph when it is not JSON with HTTP 400 and a JSON GraphQL error', async () => {
    expect(await post(`${system.subgraphs.points.url}/graphql`, '{"query": ')).toEqual(badRequest(400, 'The request body is not valid JSON'));
  });

  it('is refused by a subgraph over 1mb with HTTP 413 and a JSON GraphQL error', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(1_100_000) } });
    expect(await post(`${system.subgraphs.purchases.url}/graphql`, body)).toEqual(badRequest(413, 'The request body is larger than 1mb'));
  });
});

describe('limits set lower than the schema is deep', () => {
  let limited: TestSystem;
  beforeAll(async () => {
    limited = await startTestSystem({ MAX_QUERY_DEPTH: '1', MAX_QUERY_COST: '5' });
  });
  afterAll(() => limited.close());

  it('accepts a query exactly at the depth limit', async () => {
    const response = await limited.graphql(`{ me { id } }`, {}, limited.staffHeaders());
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ me: null });
  });

  it('refuses a query nested deeper than MAX_QUERY_DEPTH as GRAPHQL_VALIDATION_FAILED', async () => {
    const response = await limited.graphql(`{ me { card { code } } }`, {}, limited.staffHeaders());
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'The query nests 2 levels deep; the limit is 1',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 1 },
    });
  });

  it('counts the depth through fragments', async () => {
    const response = await limited.graphql(
      `query { ...Me } fragment Me on Query { me { ...Card } } fragment Card on Member { card { code } }`,
      {},
      limited.staffHeaders(),
    );
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'The query nests 2 levels deep; the limit is 1',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 1 },
    });
  });

  it('refuses a query costing more than MAX_QUERY_COST as QUERY_TOO_COMPLEX with HTTP 400', async () => {
    const response = await limited.graphql(`{ me { id displayName email phone memberCode tags } }`, {}, limited.staffHeaders());
    expect(failure(response)).toEqual({
      status: 400,
      data: undefined,
      message: 'Query cost 7 exceeds the limit of 5',
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 5 },
    });
  });
});

describe('unexpected failures', () => {
  let broken: TestSystem;
  let pos: Record<string, string>;
  beforeAll(async () => {
    broken = await startTestSystem();
    pos = await broken.posHeaders([storeId]);
    await broken.subgraphs.members.close();
  });
  afterAll(() => broken.close());

  it('reports an unreachable subgraph as SERVICE_UNAVAILABLE on its fields, naming no address or service', async () => {
    const response = await broken.graphql(BY_CODE, { code: UNUSED_VALID_CODE }, broken.staffHeaders());
    expect(failure(response)).toEqual({
      status: 200,
      data: { memberByCode: null },
      message: 'A service needed to answer part of this query is unavailable; try again shortly',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
  });

  it('answers a POS key that cannot be exchanged (members down) with HTTP 503 SERVICE_UNAVAILABLE, naming nothing internal', async () => {
    const response = await broken.graphql(BY_CODE, { code: UNUSED_VALID_CODE }, pos);
    expect(failure(response)).toEqual({
      status: 503,
      data: undefined,
      message: 'Authentication is unavailable; try again shortly',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
  });
});
