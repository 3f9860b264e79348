import type { BaseContext } from '@omo/lib/server/subgraph-server';
import type { DeliveryService } from './delivery/delivery.service';
import type { LinkMergeService, LinkService } from './linking/linking';
import { createLineLoaders, type LineLoaders } from './loaders/line-link.loaders';
import type { LineLinkModel } from './linking/line-link.model';
import type { NotificationRuleService } from './notifications/notification-rules.service';
import type { SegmentService } from './segments/segment.service';

export interface LineContext extends BaseContext {
  loaders: LineLoaders;
  linking: LinkService;
  segments: SegmentService;
  deliveries: DeliveryService;
  notifications: NotificationRuleService;
}

export interface LineContextDeps {
  links: LineLinkModel;
  linking: LinkService;
  linkMerges: LinkMergeService;
  segments: SegmentService;
  deliveries: DeliveryService;
  notifications: NotificationRuleService;
}

export function createLineContext(deps: LineContextDeps, base: BaseContext): LineContext {
  return { ...base, loaders: createLineLoaders(deps.links, deps.linkMerges), linking: deps.linking, segments: deps.segments, deliveries: deps.deliveries, notifications: deps.notifications };
}
