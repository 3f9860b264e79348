import { connectDatabase, ensureIndexes } from '@omo/lib/core/db';
import { membersModels } from '@omo/members/src/models';
import { ApiKeyService } from '@omo/members/src/services/api-key.service';

export const DEMO_KEY_NAME = 'demo-pos';

const DEMO_STORES = [
  { code: 'S001', name: 'OMO 新宿店', kind: 'PHYSICAL', prefecture: '東京都', city: '新宿区' },
  { code: 'EC01', name: 'OMO オンラインストア', kind: 'ONLINE' },
] as const;

const DEMO_MEMBERS = [
  { displayName: '山田花子', email: 'hanako.yamada@example.com', phone: '090-0000-1234', registeredVia: 'STORE', tags: ['vip'], marketingConsent: true, birthday: '1990-12-05' },
  { displayName: '佐藤太郎', email: 'taro.sato@example.com', registeredVia: 'ONLINE', marketingConsent: true },
  { displayName: '鈴木一郎', phone: '080-0000-5678', registeredVia: 'STORE' },
  { displayName: '高橋美咲', email: 'misaki.takahashi@example.com', registeredVia: 'ONLINE', tags: ['newsletter'], marketingConsent: true },
  { displayName: 'Emily Carter', email: 'emily.carter@example.com', phone: '+81 70 0000 4321', registeredVia: 'STORE', marketingConsent: true, birthday: '1988-04-17' },
] as const;

/** Rewards a demo member can redeem with the points the demo gives them (in the store, and online for the first). */
const DEMO_REWARDS = [
  { nameJa: '100円引きクーポン', nameEn: '¥100 off', pointsCost: 100, benefit: { kind: 'YEN_OFF', yenOff: 100 }, online: true, atStores: true },
  { nameJa: 'ドリンク1杯無料', nameEn: 'A free drink', pointsCost: 300, benefit: { kind: 'FREE_ITEM', sku: 'DRINK-001' }, online: false, atStores: true },
] as const;

export interface SeededStore {
  id: string;
  code: string;
  name: string;
  kind: string;
}
export interface SeededMember {
  id: string;
  memberCode: string;
  displayName: string;
}
export interface SeedResult {
  stores: SeededStore[];
  members: SeededMember[];
  posKey: string;
}

type GraphQL = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/** A staff client of the gateway: the seed uses the public API, so demo data goes through every rule. */
function staffClient(gatewayUrl: string, staffToken: string): GraphQL {
  return async <T>(query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${staffToken}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    if (body.errors?.length) throw Object.assign(new Error(body.errors[0]!.message), { code: body.errors[0]!.extensions?.code });
    return body.data as T;
  };
}

/** Idempotent demo data: two stores, two rewards, five members, and a fresh POS key for both stores (older demo keys revoked). */
export async function seedDemoData(options: { gatewayUrl: string; staffToken: string; mongodbUri: string; dbName: string }): Promise<SeedResult> {
  const graphql = staffClient(options.gatewayUrl, options.staffToken);
  const existingStores = (await graphql<{ stores: SeededStore[] }>('{ stores { id code name kind } }')).stores;
  const stores: SeededStore[] = [];
  for (const input of DEMO_STORES) {
    const found = existingStores.find((s) => s.code === input.code);
    stores.push(found ?? (await graphql<{ createStore: SeededStore }>('mutation($input: CreateStoreInput!) { createStore(input: $input) { id code name kind } }', { input })).createStore);
  }
  const physical = stores[0]!;

  const existingRewards = (await graphql<{ rewards: { name: { ja: string } }[] }>('{ rewards { name { ja } } }')).rewards;
  for (const { atStores, ...input } of DEMO_REWARDS) {
    if (existingRewards.some((r) => r.name.ja === input.nameJa)) continue;
    await graphql('mutation($input: RewardInput!) { createReward(input: $input) { id } }', { input: { ...input, storeIds: atStores ? [physical.id] : [] } });
  }

  const members: SeededMember[] = [];
  for (const input of DEMO_MEMBERS) {
    const registeredStoreId = input.registeredVia === 'STORE' ? physical.id : null;
    try {
      const { registerMember } = await graphql<{ registerMember: SeededMember }>(
        'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode displayName } }',
        { input: { ...input, registeredStoreId } },
      );
      members.push(registerMember);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ALREADY_EXISTS') throw error;
      const contact = 'email' in input ? { email: input.email } : { phone: input.phone };
      const { findMembers } = await graphql<{ findMembers: SeededMember[] }>(
        'query($email: String, $phone: String) { findMembers(email: $email, phone: $phone) { id memberCode displayName } }',
        contact,
      );
      if (findMembers[0]) members.push(findMembers[0]);
    }
  }

  // POS keys are issued by the CLI in production; the seed uses the same service directly
  const connection = await connectDatabase(options.mongodbUri, options.dbName);
  try {
    const memberModels = membersModels(connection);
    await ensureIndexes(connection);
    const apiKeys = new ApiKeyService(memberModels);
    const oldKeys = await memberModels.apiKeys.find({ name: DEMO_KEY_NAME, revokedAt: null }).lean();
    for (const key of oldKeys) await apiKeys.revoke(key._id);
    const { key } = await apiKeys.create({ name: DEMO_KEY_NAME, storeIds: stores.map((s) => s.id) });
    return { stores, members, posKey: key };
  } finally {
    await connection.close();
  }
}
