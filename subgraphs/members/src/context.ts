import type { BaseContext } from '@omo/lib/subgraph-server';
import { createMemberLoaders, type MemberLoaders } from './loaders/member.loaders';
import type { MembersModels } from './models';
import type { MemberService } from './services/member.service';

/** What every members resolver receives: the caller, this request's loaders and the domain services. */
export interface MembersContext extends BaseContext {
  loaders: MemberLoaders;
  members: MemberService;
}

export interface MembersDeps {
  models: MembersModels;
  memberService: MemberService;
}

export function createMembersContext(deps: MembersDeps, base: BaseContext): MembersContext {
  return { ...base, loaders: createMemberLoaders(deps.models), members: deps.memberService };
}
