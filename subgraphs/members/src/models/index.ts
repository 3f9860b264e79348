import type { Connection } from 'mongoose';
import { apiKeyModel, type ApiKeyModel } from './api-key.model';
import { contactChangeAttemptModel, type ContactChangeAttemptModel } from './contact-change-attempt.model';
import { contactClaimModel, type ContactClaimModel } from './contact-claim.model';
import { legacyCodeModel, type LegacyCodeModel } from './legacy-code.model';
import { lineJoinModel, type LineJoinModel } from './line-join.model';
import { memberModel, type MemberModel } from './member.model';
import { memberDuplicateModel, type MemberDuplicateModel } from './member-duplicate.model';
import { registerCustomerLinkModel, type RegisterCustomerLinkModel } from './register-customer-link.model';
import { shopifyCustomerLinkModel, type ShopifyCustomerLinkModel } from './shopify-customer-link.model';

export interface MembersModels {
  members: MemberModel;
  contactClaims: ContactClaimModel;
  contactChangeAttempts: ContactChangeAttemptModel;
  apiKeys: ApiKeyModel;
  shopifyCustomers: ShopifyCustomerLinkModel;
  lineJoins: LineJoinModel;
  registerCustomers: RegisterCustomerLinkModel;
  duplicates: MemberDuplicateModel;
  legacyCodes: LegacyCodeModel;
}

export function membersModels(connection: Connection): MembersModels {
  return {
    members: memberModel(connection),
    contactClaims: contactClaimModel(connection),
    contactChangeAttempts: contactChangeAttemptModel(connection),
    apiKeys: apiKeyModel(connection),
    shopifyCustomers: shopifyCustomerLinkModel(connection),
    lineJoins: lineJoinModel(connection),
    registerCustomers: registerCustomerLinkModel(connection),
    duplicates: memberDuplicateModel(connection),
    legacyCodes: legacyCodeModel(connection),
  };
}
