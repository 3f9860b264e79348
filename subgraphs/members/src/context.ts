import type { BaseContext } from '@omo/lib/server/subgraph-server';
import { createMemberLoaders, type MemberLoaders } from './loaders/member.loaders';
import { createMergeLoaders, type MergeLoaders } from './loaders/member-merge.loaders';
import type { MembersModels } from './models';
import type { PartnerEvents } from './partner-events/partner-events';
import type { ApiKeyService, StoreDirectory } from './services/api-key.service';
import type { MemberService } from './services/member.service';
import type { MergeService } from './services/merge.service';

/** What every members resolver receives: the caller, this request's loaders and the domain services. */
export interface MembersContext extends BaseContext {
  loaders: MemberLoaders;
  mergeLoaders: MergeLoaders;
  members: MemberService;
  merges: MergeService;
  apiKeys: ApiKeyService;
  /** Where the stores of new POS keys are checked (the purchases service). */
  stores: StoreDirectory;
  /** Partner webhook subscriptions and their delivery log. */
  partnerEvents: PartnerEvents;
}

export interface MembersDeps {
  models: MembersModels;
  memberService: MemberService;
  mergeService: MergeService;
  apiKeys: ApiKeyService;
  stores: StoreDirectory;
  partnerEvents: PartnerEvents;
}

export function createMembersContext(deps: MembersDeps, base: BaseContext): MembersContext {
  return {
    ...base,
    loaders: createMemberLoaders(deps.models),
    mergeLoaders: createMergeLoaders(deps.mergeService),
    members: deps.memberService,
    merges: deps.mergeService,
    apiKeys: deps.apiKeys,
    stores: deps.stores,
    partnerEvents: deps.partnerEvents,
  };
}
