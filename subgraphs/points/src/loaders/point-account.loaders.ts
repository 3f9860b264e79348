import DataLoader from 'dataloader';
import type { PointAccountDoc, PointAccountModel } from '../models/point-account.model';

export interface PointsLoaders {
  accountByMemberId: DataLoader<string, PointAccountDoc | null>;
}

export function createPointsLoaders(accounts: PointAccountModel): PointsLoaders {
  return {
    accountByMemberId: new DataLoader(async (memberIds) => {
      const docs = await accounts.find({ _id: { $in: [...memberIds] } }).lean<PointAccountDoc[]>();
      const byId = new Map(docs.map((doc) => [doc._id, doc]));
      return memberIds.map((id) => byId.get(id) ?? null);
    }),
  };
}
