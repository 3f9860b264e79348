import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { parse } from 'graphql';
import { Types } from 'mongoose';
import { sameSecret } from '@omo/lib/core/auth';
import { BadUserInputError, NotFoundError } from '@omo/lib/core/errors';
import { callInternal, internalRouter } from '@omo/lib/server/internal-api';
import { Outbox, RetryLater } from '@omo/lib/outbox/outbox';
import { SEGMENT_FILTER_PATH } from '@omo/lib/contracts/segment-filter';
import {
  buildSubgraphApollo,
  type BuiltSubgraph,
  type SubgraphBuildOptions,
} from '@omo/lib/server/subgraph-server';
import { posTokenRoutes } from './internal/pos-token.routes';
import { membersSegmentFilter } from './internal/segment-filter';
import { createMemberLoaders } from './loaders/member.loaders';
import { createMembersContext, type MembersContext, type MembersDeps } from './context';
import { membersModels } from './models';
import type { MemberDoc } from './models/member.model';
import { memberMergeModels } from './models/member-merge.model';
import { resolvers } from './resolvers';
import { ApiKeyService } from './services/api-key.service';
import { normalizeEmail, normalizePhone } from './services/contact';
import { parseMemberCode } from './services/member-code';
import { MemberService, parseMemberId } from './services/member.service';
import { MERGE_OUTBOX_TYPE, MergeService } from './services/merge.service';
import { PosTokenService } from './services/pos-token.service';
import { StoresClient } from './services/stores.client';

export const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'schema.graphql'), 'utf8'));

export interface MembersSubgraph extends BuiltSubgraph<MembersContext>, MembersDeps {
  posTokens: PosTokenService;
  outbox: Outbox;
}

/** A registration whose member never appeared (it failed after its outbox item was written) is dropped after this. */
const ABANDONED_REGISTRATION_MS = 60_000;
const OUTBOX_INTERVAL_MS = 2_000;

/** Builds the members subgraph on a connection, without a port: tests call `apollo.executeOperation`. */
export function buildMembersSubgraph(options: SubgraphBuildOptions): MembersSubgraph {
  const models = membersModels(options.connection);
  const outbox = new Outbox(
    options.connection,
    'members',
    {
      // Sign-up bonus: once per member (points keys it by member id), retried until points answers.
      'signup-bonus': async (payload, item) => {
        const memberId = String(payload.memberId);
        if (!(await models.members.exists({ _id: memberId }))) {
          if (options.clock().getTime() - item.createdAt.getTime() < ABANDONED_REGISTRATION_MS) throw new RetryLater('member not stored yet');
          return { dropped: 'the registration did not complete' };
        }
        return callInternal({
          directory: options.services,
          target: 'points',
          path: '/internal/signup-bonuses',
          body: { memberId, actor: 'system' },
          internalSecret: options.internalSecret,
          service: 'members',
        });
      },
      // Member merges: carried on until completed or refused; every step is idempotent (see MergeService).
      [MERGE_OUTBOX_TYPE]: (payload): Promise<unknown> => mergeService.resume(payload),
    },
    options.logger,
    options.clock,
  );
  const mergeService = new MergeService(models, memberMergeModels(options.connection), outbox, {
    services: options.services,
    internalSecret: options.internalSecret,
    clock: options.clock,
    logger: options.logger,
  });
  const apiKeys = new ApiKeyService(models, options.clock);
  const deps: MembersDeps = {
    models,
    memberService: new MemberService(models, options.clock, outbox),
    mergeService,
    apiKeys,
    stores: new StoresClient(options.services, options.internalSecret),
  };
  const posTokens = new PosTokenService(apiKeys, {
    signingKey: options.config.POS_TOKEN_SIGNING_KEY,
    ttlSeconds: options.config.POS_TOKEN_TTL_SECONDS,
  });
  const apollo = buildSubgraphApollo<MembersContext>({
    name: 'members',
    typeDefs,
    resolvers,
    logger: options.logger,
    production: options.production,
  });
  return {
    ...deps,
    apollo,
    posTokens,
    outbox,
    routes: Router().use(posTokenRoutes(posTokens, options.logger), internalRoutes(deps, options)),
    createContext: (base) => createMembersContext(deps, base),
    currentMember: async (memberId) => {
      const found = Types.ObjectId.isValid(memberId) ? await models.members.findById(memberId).lean<MemberDoc>().exec() : null;
      const current = found && (await deps.memberService.currentMember(found));
      return current ? { memberId: current._id.toHexString(), status: current.status } : null;
    },
    startBackground: () => outbox.start(OUTBOX_INTERVAL_MS),
  };
}

/** Internal routes: other services resolve member codes, contacts and merges here. Callable only with a service credential. */
function internalRoutes(deps: MembersDeps, options: SubgraphBuildOptions): Router {
  return internalRouter('members', options.internalSecret, options.logger, {
    // purchases resolves the code scanned at a register (a merged member's code leads to the survivor)
    '/internal/members/resolve-code': async (body) => {
      const code = (body as { code?: unknown } | undefined)?.code;
      if (typeof code !== 'string') throw new BadUserInputError('code is required', { field: 'code' });
      const member = await deps.memberService.resolveCode({ kind: 'service', service: 'internal' }, code, createMemberLoaders(deps.models));
      return { memberId: member._id.toHexString(), status: member.status };
    },
    // purchases matches an online order's customer to a member by e-mail or phone
    '/internal/members/find-by-contact': async (body) => {
      const { email, phone } = (body ?? {}) as { email?: unknown; phone?: unknown };
      const member = await deps.memberService.findActiveByContact(
        typeof email === 'string' ? email : null,
        typeof phone === 'string' ? phone : null,
      );
      return { memberId: member?._id.toHexString() ?? null };
    },
    // where each member's points and purchases go now: a merged member's survivor (null: no such member)
    '/internal/members/current': async (body) => {
      const ids = (body as { ids?: unknown } | undefined)?.ids;
      if (!Array.isArray(ids) || ids.length > 1000 || !ids.every((id): id is string => typeof id === 'string')) {
        throw new BadUserInputError('ids must be a list of at most 1000 member ids', { field: 'ids' });
      }
      const valid = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
      const found = await deps.models.members.find({ _id: { $in: valid } }).lean<MemberDoc[]>().exec();
      const current: Record<string, { memberId: string; status: string } | null> = Object.fromEntries(ids.map((id) => [id, null]));
      for (const member of found) {
        const now = await deps.memberService.currentMember(member);
        current[member._id.toHexString()] = now ? { memberId: now._id.toHexString(), status: now.status } : null;
      }
      return { current };
    },
    // the LINE chat shows a linked member's card; a link to a merged member leads to the survivor
    '/internal/members/card': async (body) => {
      const memberId = (body as { memberId?: unknown } | undefined)?.memberId;
      if (typeof memberId !== 'string') throw new BadUserInputError('memberId is required', { field: 'memberId' });
      const found = await deps.models.members.findById(parseMemberId(memberId)).lean<MemberDoc>().exec();
      const member = found && (await deps.memberService.currentMember(found));
      if (!member) throw new NotFoundError('Member');
      return { memberId: member._id.toHexString(), memberCode: member.memberCode, displayName: member.displayName, status: member.status };
    },
    // line's account-link page: does this member code go with this e-mail or phone? One answer (NOT_FOUND) for an
    // unknown code, a wrong contact and an inactive member, so the page cannot be used to probe which one it was
    '/internal/members/verify-identity': async (body) => {
      const { memberCode, email, phone } = (body ?? {}) as { memberCode?: unknown; email?: unknown; phone?: unknown };
      if (typeof memberCode !== 'string' || (typeof email !== 'string' && typeof phone !== 'string')) {
        throw new BadUserInputError('memberCode and an e-mail address or phone number are required', { field: 'memberCode' });
      }
      const given: ['email' | 'phone', string][] = [];
      if (typeof email === 'string') given.push(['email', normalizeEmail(email)]);
      if (typeof phone === 'string') given.push(['phone', normalizePhone(phone)]);
      const found = await deps.models.members.findOne({ memberCode: parseMemberCode(memberCode) }).lean<MemberDoc>().exec();
      // a merged member's old card still proves who they are: the contact is checked on the member it leads to
      const member = found && (await deps.memberService.currentMember(found));
      const matches = given.map(([field, value]) => sameSecret(member?.[field] ?? '', value));
      if (member?.status !== 'ACTIVE' || !matches.every(Boolean)) throw new NotFoundError('Member');
      return { memberId: member._id.toHexString() };
    },
    [SEGMENT_FILTER_PATH]: membersSegmentFilter(deps.models.members),
    '/internal/members/exists': async (body) => {
      const ids = (body as { ids?: unknown } | undefined)?.ids;
      if (!Array.isArray(ids) || ids.length > 1000 || !ids.every((id): id is string => typeof id === 'string')) {
        throw new BadUserInputError('ids must be a list of at most 1000 member ids', { field: 'ids' });
      }
      const valid = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
      const found = await deps.models.members.find({ _id: { $in: valid } }, { _id: 1 }).lean().exec();
      return { existing: found.map((m) => m._id.toHexString()) };
    },
  });
}
