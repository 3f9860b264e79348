import { renderBarcodeSvg } from '@omo/members/src/services/barcode';
import { startTestSystem, type TestSystem } from '../helpers/system';

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) {
    registerMember(input: $input) { id memberCode displayName email phone registeredVia status card { code } }
  }
`;
const BY_CODE = /* GraphQL */ `
  query ByCode($code: String!) { memberByCode(code: $code) { id displayName email card { code } points { balance } } }
`;
const ME = /* GraphQL */ `{ me { id displayName email phone memberCode points { balance } lineAccount { linkedAt } } }`;

interface Registered {
  registerMember: { id: string; memberCode: string; displayName: string; email: string; phone: string; status: string; card: { code: string } };
}

let system: TestSystem;
let storeId: string;

beforeAll(async () => {
  system = await startTestSystem();
  const store = await system.db.collection('stores').insertOne({ code: 'S001', name: '新宿店', kind: 'PHYSICAL' });
  storeId = store.insertedId.toHexString();
});
afterAll(() => system.close());

async function register(input: Record<string, unknown>, headers = system.staffHeaders()) {
  return system.graphql<Registered>(REGISTER, { input }, headers);
}

describe('members through the gateway', () => {
  it('registers a member, finds them by card code with a POS key, and shows a customer only themself', async () => {
    const registered = await register({
      displayName: '山田花子',
      email: 'Hanako.Yamada@Example.com',
      phone: '090-0000-1234',
      registeredVia: 'STORE',
      registeredStoreId: storeId,
    });
    expect(registered.errors).toBeUndefined();
    const member = registered.data!.registerMember;
    expect(member).toMatchObject({
      displayName: '山田花子',
      email: 'hanako.yamada@example.com',
      phone: '+819000001234',
      registeredVia: 'STORE',
      status: 'ACTIVE',
    });
    expect(member.memberCode).toMatch(/^29\d{11}$/);
    expect(member.card.code).toBe(member.memberCode);

    const pos = await system.posHeaders([storeId]);
    const found = await system.graphql<{ memberByCode: Record<string, unknown> }>(BY_CODE, { code: member.memberCode }, pos);
    expect(found.errors).toBeUndefined();
    // POS sees who the member is and their balance (the sign-up bonus), but not their contact details
    expect(found.data!.memberByCode).toEqual({
      id: member.id,
      displayName: '山田花子',
      email: null,
      card: { code: member.memberCode },
      points: { balance: 100 },
    });

    const me = await system.graphql<{ me: Record<string, unknown> }>(ME, {}, system.customerHeaders(member.id));
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toEqual({
      id: member.id,
      displayName: '山田花子',
      email: 'hanako.yamada@example.com',
      phone: '+819000001234',
      memberCode: member.memberCode,
      points: { balance: 100 },
      lineAccount: null,
    });

    const other = await register({ displayName: '佐藤太郎', email: 'taro@example.com', registeredVia: 'ONLINE' });
    const otherId = other.data!.registerMember.id;
    const refused = await system.graphql(`query($id: ID!) { member(id: $id) { id displayName } }`, { id: member.id }, system.customerHeaders(otherId));
    expect(refused.data).toEqual({ member: null });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses a second member with the same phone in another format, naming the existing code to staff only', async () => {
    const first = await register({ displayName: '鈴木一郎', phone: '080-1111-2222', registeredVia: 'STORE', registeredStoreId: storeId });
    const code = first.data!.registerMember.memberCode;

    const byStaff = await register({ displayName: '鈴木 一郎', phone: '+81 80 1111 2222', registeredVia: 'ONLINE' });
    expect(byStaff.data).toBeNull();
    expect(byStaff.errors?.[0]?.extensions).toEqual({ code: 'ALREADY_EXISTS', field: 'phone', existingMemberCode: code });

    const pos = await system.posHeaders([storeId]);
    const byPos = await register({ displayName: '鈴木', phone: '08011112222', registeredVia: 'STORE', registeredStoreId: storeId }, pos);
    expect(byPos.errors?.[0]?.extensions).toEqual({ code: 'ALREADY_EXISTS', field: 'phone' });
    expect(await system.db.collection('members').countDocuments({ phone: '+818011112222' })).toBe(1);
  });

  it('resolves a merged member’s old card code to the surviving member', async () => {
    const survivor = (await register({ displayName: '高橋美咲', email: 'misaki@example.com', registeredVia: 'ONLINE' })).data!.registerMember;
    const merged = (await register({ displayName: '高橋 美咲', phone: '070-3333-4444', registeredVia: 'STORE', registeredStoreId: storeId })).data!.registerMember;
    const { Types } = await import('mongoose');
    await system.db
      .collection('members')
      .updateOne({ _id: new Types.ObjectId(merged.id) }, { $set: { status: 'MERGED', mergedIntoId: new Types.ObjectId(survivor.id) } });

    const found = await system.graphql<{ memberByCode: { id: string } }>(BY_CODE, { code: merged.memberCode }, system.staffHeaders());
    expect(found.data!.memberByCode.id).toBe(survivor.id);
  });

  it('lets a customer update their own name and contact but not their tags, and withdraw', async () => {
    const member = (await register({ displayName: 'Emily', email: 'emily@example.com', registeredVia: 'ONLINE' })).data!.registerMember;
    const customer = system.customerHeaders(member.id);
    const UPDATE = `mutation($id: ID!, $input: UpdateMemberInput!) { updateMember(id: $id, input: $input) { displayName email phone tags } }`;

    const updated = await system.graphql(UPDATE, { id: member.id, input: { displayName: 'Emily Carter', phone: '070-0000-4321', email: null } }, customer);
    expect(updated.data).toEqual({ updateMember: { displayName: 'Emily Carter', email: null, phone: '+817000004321', tags: [] } });

    const tags = await system.graphql(UPDATE, { id: member.id, input: { tags: ['vip'] } }, customer);
    expect(tags.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // the released e-mail can be used by someone else now
    const reuse = await register({ displayName: 'Someone', email: 'emily@example.com', registeredVia: 'ONLINE' });
    expect(reuse.errors).toBeUndefined();

    const withdrawn = await system.graphql(`mutation($id: ID!) { withdrawMember(id: $id) { status email phone } }`, { id: member.id }, customer);
    expect(withdrawn.data).toEqual({ withdrawMember: { status: 'WITHDRAWN', email: null, phone: null } });
  });

  it('finds members by phone for staff and refuses POS keys', async () => {
    await register({ displayName: '田中', phone: '090-5555-6666', registeredVia: 'STORE', registeredStoreId: storeId });
    const FIND = `query($phone: String) { findMembers(phone: $phone) { displayName phone } }`;
    const found = await system.graphql(FIND, { phone: '０９０５５５５６６６６' }, system.staffHeaders());
    expect(found.data).toEqual({ findMembers: [{ displayName: '田中', phone: '+819055556666' }] });

    const refused = await system.graphql(FIND, { phone: '09055556666' }, await system.posHeaders([storeId]));
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('finds members by the start of their name, its characters taken literally, and refuses an empty or long prefix', async () => {
    await register({ displayName: '森田 花子', email: 'morita.h@example.com', registeredVia: 'ONLINE' });
    await register({ displayName: '森田 太郎', email: 'morita.t@example.com', registeredVia: 'ONLINE' });
    await register({ displayName: '小森田 次郎', email: 'omorita@example.com', registeredVia: 'ONLINE' });
    await register({ displayName: 'a.b (test)', email: 'dots@example.com', registeredVia: 'ONLINE' });
    await register({ displayName: 'ヤマダ商店', email: 'shop@example.com', registeredVia: 'ONLINE' });
    const FIND = `query($namePrefix: String) { findMembers(namePrefix: $namePrefix) { displayName } }`;
    const names = async (namePrefix: string) => (await system.graphql<{ findMembers: { displayName: string }[] }>(FIND, { namePrefix }, system.staffHeaders())).data?.findMembers.map((m) => m.displayName).sort();

    await expect(names('森田')).resolves.toEqual(['森田 太郎', '森田 花子']);
    await expect(names(' 森田 花')).resolves.toEqual(['森田 花子']);
    // regex characters match only themselves
    await expect(names('a.b (')).resolves.toEqual(['a.b (test)']);
    await expect(names('a.')).resolves.toEqual(['a.b (test)']);
    await expect(names('.*')).resolves.toEqual([]);
    // as typed at an IME: half-width kana and full-width letters, normalised as the names were
    await expect(names('ﾔﾏﾀﾞ')).resolves.toEqual(['ヤマダ商店']);
    await expect(names('ａ．ｂ')).resolves.toEqual(['a.b (test)']);

    for (const bad of ['  ', 'x'.repeat(51)]) {
      const refused = await system.graphql(FIND, { namePrefix: bad }, system.staffHeaders());
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'namePrefix' });
    }
  });

  it('serves the member card barcode as SVG in both formats', async () => {
    const member = (await register({ displayName: 'Card', email: 'card@example.com', registeredVia: 'ONLINE' })).data!.registerMember;
    const card = await system.graphql<{ member: { card: { code128: string; qr: string } } }>(
      `query($id: ID!) { member(id: $id) { card { code128: barcodeSvg qr: barcodeSvg(format: QR) } } }`,
      { id: member.id },
      system.customerHeaders(member.id),
    );
    expect(card.data!.member.card).toEqual({
      code128: renderBarcodeSvg(member.memberCode, 'CODE128'),
      qr: renderBarcodeSvg(member.memberCode, 'QR'),
    });
    expect(card.data!.member.card.qr).toMatch(/^<svg[^>]*viewBox/);
    expect(card.data!.member.card.qr).not.toBe(card.data!.member.card.code128);
  });

  it('reports readiness of every subgraph and answers CORS preflight for configured origins only', async () => {
    const base = system.gatewayUrl.replace(/\/graphql$/, '');
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', subgraphs: { members: 'up', points: 'up', purchases: 'up', line: 'up' } });

    const allowed = await fetch(system.gatewayUrl, { method: 'OPTIONS', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    const other = await fetch(system.gatewayUrl, { method: 'OPTIONS', headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
