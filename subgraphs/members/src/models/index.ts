import type { Connection } from 'mongoose';
import { apiKeyModel, type ApiKeyModel } from './api-key.model';
import { contactClaimModel, type ContactClaimModel } from './contact-claim.model';
import { memberModel, type MemberModel } from './member.model';

export interface MembersModels {
  members: MemberModel;
  contactClaims: ContactClaimModel;
  apiKeys: ApiKeyModel;
}

export function membersModels(connection: Connection): MembersModels {
  return {
    members: memberModel(connection),
    contactClaims: contactClaimModel(connection),
    apiKeys: apiKeyModel(connection),
  };
}
