import type { BaseContext } from '@omo/lib/subgraph-server';
import type { LinkService } from './linking/linking';
import { createLineLoaders, type LineLoaders } from './loaders/line-link.loaders';
import type { LineLinkModel } from './models/line-link.model';

export interface LineContext extends BaseContext {
  loaders: LineLoaders;
  linking: LinkService;
}

export function createLineContext(deps: { links: LineLinkModel; linking: LinkService }, base: BaseContext): LineContext {
  return { ...base, loaders: createLineLoaders(deps.links), linking: deps.linking };
}
