import type { BaseContext } from '@omo/lib/subgraph-server';
import { createLineLoaders, type LineLoaders } from './loaders/line-link.loaders';
import type { LineLinkModel } from './models/line-link.model';

export interface LineContext extends BaseContext {
  loaders: LineLoaders;
}

export function createLineContext(links: LineLinkModel, base: BaseContext): LineContext {
  return { ...base, loaders: createLineLoaders(links) };
}
