import { z } from 'zod';
import type { Caller } from '@omo/lib/core/auth';
import { settleLineSchema } from '@omo/lib/contracts/points';
import { parseInput } from '@omo/lib/core/validation';
import { BadUserInputError, ForbiddenError } from '@omo/lib/core/errors';
import type { Channel } from '../models/points-policy.model';
import { assertCanPreviewAt, type EarnCalculator, type EarnPreview } from './earn-calculator';
import type { EarnLine } from './item-rule-match';
import type { MembersClient } from './members.client';
import { isGiven, objectIdString } from './rule-inputs';

export interface EarnPreviewArgs {
  storeId: string;
  channel: Channel;
  amount: number;
  memberCode?: string | null;
  memberId?: string | null;
  lines?: readonly EarnLine[] | null;
}

/** As many lines as recordPurchase takes, each as a settlement receives it. */
const previewLines = z.array(settleLineSchema).max(200);

/**
 * earnPreview as the gateway asks it: the member named by the card (POS keys) or by id (staff), as for
 * recordPurchase, and looked up in members, so that a withdrawn membership previews nothing.
 */
export async function earnPreview(caller: Caller, args: EarnPreviewArgs, deps: { calculator: EarnCalculator; members: MembersClient }): Promise<EarnPreview> {
  assertCanPreviewAt(caller, args.storeId);
  const memberCode = isGiven(args.memberCode) ? args.memberCode : null;
  const givenId = isGiven(args.memberId) ? objectIdString(args.memberId, 'memberId') : null;
  if (memberCode && givenId) throw new BadUserInputError('Give memberCode or memberId, not both', { field: 'memberCode' });
  if (givenId && caller.kind === 'pos') {
    throw new ForbiddenError('POS keys identify the member by the card (memberCode); memberId is for staff', { field: 'memberId' });
  }
  const memberId = memberCode ? await deps.members.resolveCode(memberCode) : givenId ? await deps.members.activeMemberId(givenId) : null;
  const lines = isGiven(args.lines) ? parseInput(z.object({ lines: previewLines }), { lines: args.lines }).lines : null;
  return deps.calculator.preview(caller, { storeId: args.storeId, channel: args.channel, amount: args.amount, memberId, lines });
}
