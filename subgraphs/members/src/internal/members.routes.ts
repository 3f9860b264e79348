import type { Router } from 'express';
import { Types } from 'mongoose';
import { sameSecret } from '@omo/lib/core/auth';
import { NotFoundError } from '@omo/lib/core/errors';
import type { Logger } from '@omo/lib/core/logger';
import { membersContract } from '@omo/lib/contracts/members';
import { internalRouter } from '@omo/lib/server/internal-api';
import type { MembersDeps } from '../context';
import { createMemberLoaders } from '../loaders/member.loaders';
import type { MemberDoc } from '../models/member.model';
import { normalizeEmail, normalizePhone } from '../services/contact';
import { parseMemberId } from '../services/member.service';
import { membersSegmentFilter } from './segment-filter.routes';

const SERVICE_CALLER = { kind: 'service', service: 'internal' } as const;

/** The members contract's routes (lib/contracts/members.ts): other services resolve member codes, contacts and merges here. */
export function membersRoutes(deps: MembersDeps, options: { internalSecret: string; logger: Logger }): Router {
  const { models, memberService } = deps;
  /** The members these ids stand for, read in one query; an id that is not an ObjectId names no member. */
  const membersOf = (ids: string[], projection?: Record<string, 1>) => {
    const valid = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
    return models.members.find({ _id: { $in: valid } }, projection).lean<MemberDoc[]>().exec();
  };
  const ref = (member: MemberDoc) => ({ memberId: member._id.toHexString(), status: member.status });

  return internalRouter(membersContract, {
    resolveCode: async ({ code }) => ref(await memberService.resolveCode(SERVICE_CALLER, code, createMemberLoaders(models))),
    findByContact: async ({ email, phone, storeId, customerId }) => {
      const linked = storeId && customerId ? await memberService.findActiveByShopifyCustomer(storeId, customerId) : null;
      const member = linked ?? (await memberService.findActiveByContact(email ?? null, phone ?? null));
      return { memberId: member?._id.toHexString() ?? null };
    },
    current: async ({ ids }) => {
      const current: Record<string, { memberId: string; status: MemberDoc['status'] } | null> = Object.fromEntries(ids.map((id) => [id, null]));
      for (const member of await membersOf(ids)) {
        const now = await memberService.currentMember(member);
        current[member._id.toHexString()] = now ? ref(now) : null;
      }
      return { current };
    },
    shopifyCustomers: async ({ memberId }) => {
      const found = Types.ObjectId.isValid(memberId) ? await models.members.findById(memberId, { shopifyCustomerIds: 1 }).lean<MemberDoc>().exec() : null;
      // "<storeId>:<customerId>", as the link claims keep them
      const customers = (found?.shopifyCustomerIds ?? []).map((link) => {
        const at = link.indexOf(':');
        return { storeId: link.slice(0, at), customerId: link.slice(at + 1) };
      });
      return { customers };
    },
    joinFromLine: (request) => memberService.joinFromLine(request),
    profile: ({ memberId }) => memberService.profile(memberId),
    updateProfile: ({ memberId, source, ...change }) => memberService.updateProfile(memberId, change, source),
    birthdays: ({ month, after, limit, registeredBefore }) => memberService.birthdays(month, after, limit, registeredBefore),
    card: async ({ memberId }) => {
      const found = await models.members.findById(parseMemberId(memberId)).lean<MemberDoc>().exec();
      const member = found && (await memberService.currentMember(found));
      if (!member) throw new NotFoundError('Member');
      return { memberId: member._id.toHexString(), memberCode: member.memberCode, displayName: member.displayName, status: member.status };
    },
    verifyIdentity: async ({ memberCode, email, phone }) => {
      const given: ['email' | 'phone', string][] = [];
      if (email !== undefined) given.push(['email', normalizeEmail(email)]);
      if (phone !== undefined) given.push(['phone', normalizePhone(phone)]);
      // the code as a register takes it (ours, else an imported old card's; a merged member's leads to the one it
      // was merged into), so the contact is checked on the member the card stands for; NOT_FOUND when none
      const member = await memberService.resolveCode(SERVICE_CALLER, memberCode, createMemberLoaders(models));
      const matches = given.map(([field, value]) => sameSecret(member[field] ?? '', value));
      if (member.status !== 'ACTIVE' || !matches.every(Boolean)) throw new NotFoundError('Member');
      return { memberId: member._id.toHexString() };
    },
    exists: async ({ ids }) => ({ existing: (await membersOf(ids, { _id: 1 })).map((member) => member._id.toHexString()) }),
    upsertOnlineCustomer: (customer) => memberService.upsertOnlineCustomer(customer),
    upsertRegisterCustomer: (customer) => memberService.upsertRegisterCustomer(customer),
    segmentFilter: membersSegmentFilter(models.members),
    publishPartnerEvent: (event) => deps.partnerEvents.inbox.receive(event),
    partnerEventTopics: async () => ({ topics: await deps.partnerEvents.inbox.topics() }),
  }, options);
}
