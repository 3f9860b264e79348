import type { Router } from 'express';
import type { Logger } from '@omo/lib/core/logger';
import { lineContract } from '@omo/lib/contracts/line';
import { internalRouter } from '@omo/lib/server/internal-api';
import type { LinkMergeService } from '../linking/link-merge.service';

/** The line contract's routes (lib/contracts/line.ts): members carries a merge's LINE step here. */
export function lineRoutes(merges: LinkMergeService, options: { internalSecret: string; logger: Logger }): Router {
  return internalRouter(lineContract, { merge: (input) => merges.merge(input) }, options);
}
