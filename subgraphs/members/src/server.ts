import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { parse } from 'graphql';
import { Types } from 'mongoose';
import { all } from '@omo/lib/server/background';
import { internalClient } from '@omo/lib/server/internal-api';
import { Outbox, RetryLater } from '@omo/lib/outbox/outbox';
import { pointsContract } from '@omo/lib/contracts/points';
import {
  buildSubgraphApollo,
  type BuiltSubgraph,
  type SubgraphBuildOptions,
} from '@omo/lib/server/subgraph-server';
import { membersRoutes } from './internal/members.routes';
import { posTokenRoutes } from './internal/pos-token.routes';
import { createMembersContext, type MembersContext, type MembersDeps } from './context';
import { membersModels } from './models';
import type { MemberDoc } from './models/member.model';
import { memberMergeModels } from './models/member-merge.model';
import { buildPartnerEvents } from './partner-events/partner-events';
import { resolvers } from './resolvers';
import { ApiKeyService } from './services/api-key.service';
import { IMPORT_BALANCES_OUTBOX_TYPE, importBalancesHandler } from './services/import/import-balances.handler';
import { MemberService } from './services/member.service';
import { MERGE_OUTBOX_TYPE, MergeService } from './services/merge.service';
import { PosTokenService } from './services/pos-token.service';
import { SMAREGI_MEMBER_OUTBOX_TYPE } from './services/sign-up.service';
import { smaregiMemberHandler } from './services/smaregi-member.handler';
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
  const points = internalClient(pointsContract, { directory: options.services, internalSecret: options.internalSecret, service: 'members' });
  const partnerEvents = buildPartnerEvents({
    connection: options.connection,
    members: models.members,
    outbox: () => outbox,
    clock: options.clock,
    logger: options.logger,
    production: options.production,
    timeoutMs: options.config.PARTNER_WEBHOOK_TIMEOUT_MS,
  });
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
        return points.signupBonus({ memberId, actor: 'system' });
      },
      // Member merges: carried on until completed or refused; every step is idempotent (see MergeService). A
      // completed merge's event is queued by the run that sees it completed, so a crash before it is followed by
      // the item's retry, which finds the merge completed and queues it then.
      [MERGE_OUTBOX_TYPE]: async (payload): Promise<unknown> => {
        const result = await mergeService.resume(payload);
        if (result.state === 'COMPLETED') await partnerEvents.memberEvents.merged(String(payload.mergeId), String(payload.survivorId), String(payload.mergedId));
        return result;
      },
      // A new member's Smaregi customer records: retried until purchases answers (smaregi-member.handler.ts).
      [SMAREGI_MEMBER_OUTBOX_TYPE]: smaregiMemberHandler({
        models,
        services: options.services,
        internalSecret: options.internalSecret,
        clock: options.clock,
        abandonedAfterMs: ABANDONED_REGISTRATION_MS,
      }),
      // An import batch's balances and tiers: retried until points answers (import-balances.handler.ts).
      [IMPORT_BALANCES_OUTBOX_TYPE]: importBalancesHandler({
        models,
        services: options.services,
        internalSecret: options.internalSecret,
        clock: options.clock,
        abandonedAfterMs: ABANDONED_REGISTRATION_MS,
      }),
      // Partner events: members' own, and the deliveries of everyone's (partner-events/)
      ...partnerEvents.handlers(),
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
    memberService: new MemberService(models, options.clock, outbox, {
      smaregiMembers: options.config.SMAREGI_CONTRACTS.length > 0,
      memberEvents: partnerEvents.memberEvents,
    }),
    mergeService,
    apiKeys,
    stores: new StoresClient(options.services, options.internalSecret),
    partnerEvents,
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
    routes: Router().use(posTokenRoutes(posTokens, options.logger), membersRoutes(deps, options)),
    createContext: (base) => createMembersContext(deps, base),
    currentMember: async (memberId) => {
      const found = Types.ObjectId.isValid(memberId) ? await models.members.findById(memberId).lean<MemberDoc>().exec() : null;
      const current = found && (await deps.memberService.currentMember(found));
      return current ? { memberId: current._id.toHexString(), status: current.status } : null;
    },
    startBackground: () => all([outbox.start(OUTBOX_INTERVAL_MS), partnerEvents.start(OUTBOX_INTERVAL_MS)]),
  };
}
