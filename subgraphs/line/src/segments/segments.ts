import type { Connection } from '@omo/lib/core/db';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';
import type { LineLinkModel } from '../linking/line-link.model';
import type { LineUserModel } from '../webhook/line-user.model';
import { segmentModels } from './segment.model';
import { SegmentAudienceSource } from './audience-source';
import { SegmentEvaluator } from './segment-evaluator';
import { SegmentService } from './segment.service';

export interface Segments {
  /** For the GraphQL resolvers. */
  service: SegmentService;
  /** For deliveries: who a segment reaches when a delivery starts. */
  audience: SegmentAudienceSource;
  /** For notifications: which linked members an event concerns. */
  evaluator: SegmentEvaluator;
}

/** Saved segments and their evaluation over the linked LINE users, asking the owner services in batches. */
export function createSegments(deps: {
  connection: Connection;
  links: LineLinkModel;
  users: LineUserModel;
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
}): Segments {
  const evaluator = new SegmentEvaluator(deps);
  const service = new SegmentService({ models: segmentModels(deps.connection), evaluator, clock: deps.clock });
  return { service, audience: new SegmentAudienceSource(service, evaluator), evaluator };
}
