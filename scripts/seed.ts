import type { Caller } from '@omo/lib/auth';
import { connectDatabase, ensureIndexes } from '@omo/lib/db';
import { AlreadyExistsError } from '@omo/lib/errors';
import { membersModels } from '@omo/members/src/models';
import type { MemberDoc } from '@omo/members/src/models/member.model';
import { ApiKeyService } from '@omo/members/src/services/api-key.service';
import { MemberService, type RegisterMemberInput } from '@omo/members/src/services/member.service';
import type { StoreDoc } from '@omo/purchases/src/models/store.model';
import { storeModel } from '@omo/purchases/src/models/store.model';
import { StoreService, type CreateStoreInput } from '@omo/purchases/src/services/store.service';

const SEED_CALLER: Caller = { kind: 'staff', staffId: 'seed', role: 'ADMIN' };
export const DEMO_KEY_NAME = 'demo-pos';

const DEMO_STORES: CreateStoreInput[] = [
  { code: 'S001', name: 'OMO 新宿店', kind: 'PHYSICAL', prefecture: '東京都', city: '新宿区' },
  { code: 'EC01', name: 'OMO オンラインストア', kind: 'ONLINE' },
];

const DEMO_MEMBERS: Omit<RegisterMemberInput, 'registeredStoreId'>[] = [
  { displayName: '山田花子', email: 'hanako.yamada@example.com', phone: '090-0000-1234', registeredVia: 'STORE', tags: ['vip'] },
  { displayName: '佐藤太郎', email: 'taro.sato@example.com', registeredVia: 'ONLINE' },
  { displayName: '鈴木一郎', phone: '080-0000-5678', registeredVia: 'STORE' },
  { displayName: '高橋美咲', email: 'misaki.takahashi@example.com', registeredVia: 'ONLINE', tags: ['newsletter'] },
  { displayName: 'Emily Carter', email: 'emily.carter@example.com', phone: '+81 70 0000 4321', registeredVia: 'STORE' },
];

export interface SeedResult {
  stores: StoreDoc[];
  members: MemberDoc[];
  posKey: string;
}

/** Idempotent demo data: two stores, five members, and a fresh POS key for both stores (older demo keys revoked). */
export async function seedDemoData(mongodbUri: string, dbName: string): Promise<SeedResult> {
  const membersDb = await connectDatabase(mongodbUri, dbName);
  const purchasesDb = await connectDatabase(mongodbUri, dbName);
  try {
    const memberModels = membersModels(membersDb);
    const stores = storeModel(purchasesDb);
    await ensureIndexes(membersDb);
    await ensureIndexes(purchasesDb);
    const storeService = new StoreService(stores);
    const memberService = new MemberService(memberModels);
    const apiKeys = new ApiKeyService(memberModels);

    const seededStores: StoreDoc[] = [];
    for (const input of DEMO_STORES) seededStores.push((await storeService.findByCode(input.code)) ?? (await storeService.create(input)));
    const physical = seededStores[0]!;

    const members: MemberDoc[] = [];
    for (const input of DEMO_MEMBERS) {
      const registeredStoreId = input.registeredVia === 'STORE' ? physical._id.toHexString() : null;
      try {
        members.push(await memberService.register(SEED_CALLER, { ...input, registeredStoreId }));
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        const [existing] = await memberService.findByContact(SEED_CALLER, input.email, input.email ? null : input.phone);
        if (existing) members.push(existing);
      }
    }

    const oldKeys = await memberModels.apiKeys.find({ name: DEMO_KEY_NAME, revokedAt: null }).lean();
    for (const key of oldKeys) await apiKeys.revoke(key._id);
    const { key } = await apiKeys.create({ name: DEMO_KEY_NAME, storeIds: seededStores.map((s) => s._id.toHexString()) });
    return { stores: seededStores, members, posKey: key };
  } finally {
    await membersDb.close();
    await purchasesDb.close();
  }
}
