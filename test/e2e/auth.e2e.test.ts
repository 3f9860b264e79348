import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import { signServiceIdentity } from '@omo/lib/core/auth';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { TEST_INTERNAL_SECRET } from '@omo/tools/testing/config';
import { ok, startTestSystem, type GraphQLResponse, type TestSystem } from '../helpers/system';

/**
 * Who may call: tokens from the retailer's identity providers verified against their published keys (RS256 for
 * customers, ES256 for staff, each its own issuer), POS keys exchanged for store-scoped tokens, per-caller rate
 * limits, and what a customer's token means after the membership changed.
 */

const CUSTOMER_ISSUER = 'https://login.shop.example.com/';
const STAFF_ISSUER = 'https://staff-sso.example.com/';
const ME = '{ me { id displayName } }';
const FIND = '{ findMembers(email: "nobody@example.com") { id } }';
const REGISTER = 'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }';

interface Issuer {
  key: KeyObject;
  kid: string;
  algorithm: 'RS256' | 'ES256';
}

/** A retailer's identity provider as far as we can see it: a JWKS document on loopback, one key each. */
async function startJwksServer(issuers: Record<'customers' | 'staff', Issuer>): Promise<RunningHttpServer> {
  const app = express();
  for (const [name, issuer] of Object.entries(issuers)) {
    const publicKey = issuer.key.export({ format: 'jwk' });
    delete publicKey.d;
    delete publicKey.p;
    delete publicKey.q;
    delete publicKey.dp;
    delete publicKey.dq;
    delete publicKey.qi;
    app.get(`/${name}/jwks.json`, (_req, res) => void res.json({ keys: [{ ...publicKey, kid: issuer.kid, alg: issuer.algorithm, use: 'sig' }] }));
  }
  return listen(app, 0);
}

const customerIdp: Issuer = { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, kid: 'shop-2026', algorithm: 'RS256' };
const staffIdp: Issuer = { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, kid: 'staff-1', algorithm: 'ES256' };

let jwks: RunningHttpServer;
let system: TestSystem;
let storeId: string;
let otherStoreId: string;

function sign(issuer: Issuer, claims: Record<string, unknown>, options: jwt.SignOptions = {}): string {
  return jwt.sign(claims, issuer.key, { algorithm: issuer.algorithm, keyid: issuer.kid, expiresIn: 600, ...options });
}
const customerToken = (sub: string, options: jwt.SignOptions = {}, claims: Record<string, unknown> = {}) =>
  sign(customerIdp, { sub, ...claims }, { issuer: CUSTOMER_ISSUER, audience: 'shop-members', ...options });
const staffToken = (sub: string, role: 'STAFF' | 'ADMIN', options: jwt.SignOptions = {}) =>
  sign(staffIdp, { sub, role }, { issuer: STAFF_ISSUER, audience: 'omo-console', ...options });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function codeOf(response: GraphQLResponse): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}

let registered = 0;
async function registerMember(name: string): Promise<{ id: string; memberCode: string }> {
  registered += 1;
  const data = ok(
    await system.graphql<{ registerMember: { id: string; memberCode: string } }>(
      REGISTER,
      { input: { displayName: name, email: `auth-${registered}@example.com`, registeredVia: 'STORE', registeredStoreId: storeId } },
      bearer(staffToken('staff-7', 'STAFF')),
    ),
  );
  return data.registerMember;
}

beforeAll(async () => {
  jwks = await startJwksServer({ customers: customerIdp, staff: staffIdp });
  system = await startTestSystem({
    CUSTOMER_JWT_ISSUER: CUSTOMER_ISSUER,
    CUSTOMER_JWT_AUDIENCE: 'shop-members',
    CUSTOMER_JWKS_URL: `${jwks.url}/customers/jwks.json`,
    CUSTOMER_JWT_SECRET: undefined,
    STAFF_JWT_ISSUER: STAFF_ISSUER,
    STAFF_JWT_AUDIENCE: 'omo-console',
    STAFF_JWKS_URL: `${jwks.url}/staff/jwks.json`,
    STAFF_JWT_SECRET: undefined,
    JWT_MAX_LIFETIME_SECONDS: '3600',
  });
  storeId = (await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' })).insertedId.toHexString();
  otherStoreId = (await system.db.collection('stores').insertOne({ code: 'S002', name: '梅田店', kind: 'PHYSICAL' })).insertedId.toHexString();
});
afterAll(async () => {
  await system.close();
  await jwks.close();
});

describe("customers' tokens from the retailer's identity provider (JWKS, RS256)", () => {
  let member: { id: string; memberCode: string };
  beforeAll(async () => {
    member = await registerMember('JWKS 花子');
  });

  it('are accepted with the issuer, audience and key the system is configured with', async () => {
    const response = await system.graphql<{ me: { id: string } }>(ME, {}, bearer(customerToken(member.id)));
    expect(ok(response).me).toEqual({ id: member.id, displayName: 'JWKS 花子' });
  });

  it('answer each customer as themself when two take turns, however often each token was seen before', async () => {
    const other = await registerMember('JWKS 次郎');
    const tokens = [customerToken(member.id), customerToken(other.id)];
    const seen = [];
    for (let round = 0; round < 3; round++) {
      for (const token of tokens) seen.push(ok(await system.graphql<{ me: { id: string } }>(ME, {}, bearer(token))).me.id);
    }
    expect(seen).toEqual([member.id, other.id, member.id, other.id, member.id, other.id]);
  });

  it.each([
    ['another audience', () => customerToken(member.id, { audience: 'another-app' })],
    ['another issuer', () => sign(customerIdp, { sub: member.id }, { issuer: 'https://evil.example.com/', audience: 'shop-members' })],
    ['an expiry in the past', () => customerToken(member.id, { expiresIn: -120 })],
    ['a not-before in the future', () => customerToken(member.id, { notBefore: 600 })],
    ['a key the issuer did not publish', () => jwt.sign({ sub: member.id }, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, { algorithm: 'RS256', keyid: 'shop-2026', issuer: CUSTOMER_ISSUER, audience: 'shop-members', expiresIn: 600 })],
    ['an HS256 signature made with the public key', () => jwt.sign({ sub: member.id }, 'shop-2026', { algorithm: 'HS256', issuer: CUSTOMER_ISSUER, audience: 'shop-members', expiresIn: 600 })],
  ])('are refused with HTTP 401 UNAUTHENTICATED with %s', async (_case, token) => {
    const response = await system.graphql(ME, {}, bearer(token()));
    expect({ status: response.status, message: response.errors?.[0]?.message, code: codeOf(response) }).toEqual({
      status: 401,
      message: 'Invalid or expired token',
      code: 'UNAUTHENTICATED',
    });
  });

  it('are refused when they claim a longer life than JWT_MAX_LIFETIME_SECONDS', async () => {
    const response = await system.graphql(ME, {}, bearer(customerToken(member.id, { expiresIn: 7200 })));
    expect({ status: response.status, message: response.errors?.[0]?.message }).toEqual({ status: 401, message: 'The token lives longer than its issuer allows' });
  });

  it('are refused without an issued-at time (the lifetime cannot be checked)', async () => {
    const response = await system.graphql(ME, {}, bearer(customerToken(member.id, { noTimestamp: true })));
    expect({ status: response.status, message: response.errors?.[0]?.message }).toEqual({ status: 401, message: 'Token is missing required claims' });
  });

  it('make a customer whatever role they claim: a role claim in a customer token is ignored', async () => {
    const token = customerToken(member.id, {}, { role: 'ADMIN' });
    const response = await system.graphql(FIND, {}, bearer(token));
    expect(codeOf(response)).toBe('FORBIDDEN');
  });

  it("cannot be minted with the customers' key for the staff issuer, nor with the staff key for customers", async () => {
    const staffByCustomerKey = sign(customerIdp, { sub: 'x', role: 'ADMIN' }, { issuer: STAFF_ISSUER, audience: 'omo-console' });
    const customerByStaffKey = sign(staffIdp, { sub: member.id }, { issuer: CUSTOMER_ISSUER, audience: 'shop-members' });
    expect((await system.graphql(FIND, {}, bearer(staffByCustomerKey))).status).toBe(401);
    expect((await system.graphql(ME, {}, bearer(customerByStaffKey))).status).toBe(401);
  });
});

describe("staff tokens from the staff issuer (JWKS, ES256)", () => {
  it('carry the STAFF or ADMIN role', async () => {
    expect(ok(await system.graphql(FIND, {}, bearer(staffToken('staff-7', 'STAFF'))))).toEqual({ findMembers: [] });
    expect(ok(await system.graphql(FIND, {}, bearer(staffToken('admin-1', 'ADMIN'))))).toEqual({ findMembers: [] });
  });

  it('are refused without a role STAFF or ADMIN', async () => {
    const token = sign(staffIdp, { sub: 'staff-9', role: 'CUSTOMER' }, { issuer: STAFF_ISSUER, audience: 'omo-console' });
    const response = await system.graphql(FIND, {}, bearer(token));
    expect({ status: response.status, message: response.errors?.[0]?.message }).toEqual({ status: 401, message: 'Token is missing required claims' });
  });
});

describe('POS keys exchanged for store-scoped tokens', () => {
  const BY_CODE = 'query($code: String!) { memberByCode(code: $code) { id } }';

  async function exchange(body: string, contentType = 'application/x-www-form-urlencoded') {
    const response = await fetch(system.gatewayUrl.replace(/\/graphql$/, '/oauth/token'), { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('give a bearer token (client credentials) that works as the key does, at its stores only', async () => {
    const member = await registerMember('POS 太郎');
    const key = (await system.posHeaders([storeId]))['x-api-key']!;
    const answer = await exchange(new URLSearchParams({ grant_type: 'client_credentials', client_secret: key }).toString());
    expect(answer).toEqual({ status: 200, body: { access_token: expect.any(String) as string, token_type: 'Bearer', expires_in: 60 } });
    const token = answer.body.access_token as string;
    expect(jwt.decode(token)).toMatchObject({ iss: 'omo-members', aud: 'omo-pos', stores: [storeId] });

    expect(ok(await system.graphql(BY_CODE, { code: member.memberCode }, bearer(token)))).toEqual({ memberByCode: { id: member.id } });
    const elsewhere = await system.graphql(
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { id } }',
      { input: { idempotencyKey: 'auth-pos-1', storeId: otherStoreId, memberCode: member.memberCode, lines: [{ sku: 'A', name: 'A', unitPrice: 100, quantity: 1 }], total: 100 } },
      bearer(token),
    );
    expect(codeOf(elsewhere)).toBe('FORBIDDEN');
  });

  it('answer RFC 6749 errors: a wrong key is invalid_client, another grant unsupported_grant_type', async () => {
    expect(await exchange('grant_type=client_credentials&client_secret=omo_pos_nope')).toEqual({
      status: 401,
      body: { error: 'invalid_client', error_description: 'Invalid API key' },
    });
    expect(await exchange(JSON.stringify({ grant_type: 'password' }), 'application/json')).toEqual({
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' },
    });
  });

  it('stop working as soon as the key is revoked (the gateway exchanges a short-lived token again)', async () => {
    const member = await registerMember('POS 次郎');
    const headers = await system.posHeaders([storeId]);
    expect(ok(await system.graphql(BY_CODE, { code: member.memberCode }, headers))).toEqual({ memberByCode: { id: member.id } });
    await system.db.collection('api_keys').updateMany({}, { $set: { revokedAt: new Date() } });
    const response = await system.graphql(BY_CODE, { code: member.memberCode }, headers);
    expect({ status: response.status, message: response.errors?.[0]?.message }).toEqual({ status: 401, message: 'Invalid API key' });
  });
});

describe('a customer token after the membership changed', () => {
  it('is refused with UNAUTHENTICATED once the member has withdrawn', async () => {
    const member = await registerMember('退会 予定');
    const headers = bearer(customerToken(member.id));
    ok(await system.graphql('mutation($id: ID!) { withdrawMember(id: $id) { status } }', { id: member.id }, headers));
    const me = await system.graphql(ME, {}, headers);
    expect({ message: me.errors?.[0]?.message, code: codeOf(me), data: me.data }).toEqual({
      message: 'This membership has been withdrawn',
      code: 'UNAUTHENTICATED',
      data: { me: null },
    });
    const code = await system.graphql('mutation { issueLineLinkCode { code } }', {}, headers);
    expect(codeOf(code)).toBe('UNAUTHENTICATED');
  });

  it('acts as the member it was merged into', async () => {
    const survivor = await registerMember('統合 先');
    const merged = await registerMember('統合 元');
    ok(
      await system.graphql(
        'mutation($s: ID!, $m: ID!) { mergeMembers(survivorId: $s, mergedId: $m) { id } }',
        { s: survivor.id, m: merged.id },
        bearer(staffToken('admin-1', 'ADMIN')),
      ),
    );
    expect(ok(await system.graphql<{ me: { id: string } }>(ME, {}, bearer(customerToken(merged.id)))).me).toEqual({ id: survivor.id, displayName: '統合 先' });
  });
});

describe('service identities', () => {
  it('are accepted only by the service they were signed for', async () => {
    const forPoints = signServiceIdentity('purchases', 'points', TEST_INTERNAL_SECRET);
    const refused = await fetch(`${system.subgraphs.members.url}/internal/members/exists`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-omo-identity': forPoints },
      body: JSON.stringify({ ids: [] }),
    });
    expect({ status: refused.status, body: (await refused.json()) }).toEqual({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'Service credential required' } },
    });
    const accepted = await fetch(`${system.subgraphs.members.url}/internal/members/exists`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-omo-identity': signServiceIdentity('purchases', 'members', TEST_INTERNAL_SECRET) },
      body: JSON.stringify({ ids: [] }),
    });
    expect({ status: accepted.status, body: (await accepted.json()) }).toEqual({ status: 200, body: { existing: [] } });
  });
});

describe("an issuer whose keys cannot be fetched", () => {
  it('makes its tokens SERVICE_UNAVAILABLE (HTTP 503), not a sign-out', async () => {
    const unreachable = await startTestSystem({ CUSTOMER_JWKS_URL: 'http://127.0.0.1:9/jwks.json', CUSTOMER_JWT_SECRET: undefined, CUSTOMER_JWT_ISSUER: CUSTOMER_ISSUER, CUSTOMER_JWT_AUDIENCE: 'shop-members' });
    try {
      const response = await unreachable.graphql(ME, {}, bearer(customerToken('6b0000000000000000000001')));
      expect({ status: response.status, errors: response.errors }).toEqual({
        status: 503,
        errors: [{ message: 'Tokens cannot be verified right now; try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }],
      });
    } finally {
      await unreachable.close();
    }
  });
});
