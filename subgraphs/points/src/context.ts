import type { BaseContext } from '@omo/lib/subgraph-server';
import { createPointsLoaders, type PointsLoaders } from './loaders/point-account.loaders';
import type { PointAccountModel } from './models/point-account.model';

export interface PointsContext extends BaseContext {
  loaders: PointsLoaders;
}

export function createPointsContext(accounts: PointAccountModel, base: BaseContext): PointsContext {
  return { ...base, loaders: createPointsLoaders(accounts) };
}
