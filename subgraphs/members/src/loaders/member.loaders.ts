import type DataLoader from 'dataloader';
import { batchLoader } from '@omo/lib/core/loader';
import { Types } from 'mongoose';
import type { MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';

export interface MemberLoaders {
  byId: DataLoader<string, MemberDoc | null>;
  byCode: DataLoader<string, MemberDoc | null>;
}

/** Built per request: N lookups in one tick become one query; results come back in key order. */
export function createMemberLoaders(models: MembersModels): MemberLoaders {
  return {
    byId: batchLoader(async (ids) => {
      const objectIds = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
      const docs = await models.members.find({ _id: { $in: objectIds } }).lean<MemberDoc[]>();
      const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    byCode: batchLoader(async (codes) => {
      const docs = await models.members.find({ memberCode: { $in: [...codes] } }).lean<MemberDoc[]>();
      const byCode = new Map(docs.map((doc) => [doc.memberCode, doc]));
      return codes.map((code) => byCode.get(code) ?? null);
    }),
  };
}
