import type DataLoader from 'dataloader';
import { batchLoader } from '@omo/lib/core/loader';
import type { KeptLinkRecord, LinkMergeService } from '../linking/link-merge.service';
import type { LineLinkDoc, LineLinkModel } from '../linking/line-link.model';

export interface LineLoaders {
  linkByMemberId: DataLoader<string, LineLinkDoc | null>;
  mergedLinksBySurvivor: DataLoader<string, KeptLinkRecord[]>;
}

export function createLineLoaders(links: LineLinkModel, merges: LinkMergeService): LineLoaders {
  return {
    mergedLinksBySurvivor: batchLoader((memberIds) => merges.keptBySurvivors(memberIds)),
    linkByMemberId: batchLoader(async (memberIds) => {
      const docs = await links.find({ memberId: { $in: [...memberIds] } }).lean<LineLinkDoc[]>();
      const byMember = new Map(docs.map((doc) => [doc.memberId, doc]));
      return memberIds.map((id) => byMember.get(id) ?? null);
    }),
  };
}
