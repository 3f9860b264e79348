import type { RewardChangeResolvers, RewardFieldChangeResolvers } from '../__generated__/resolvers-types';

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export const RewardChange: RewardChangeResolvers = {
  actor: (revision) => revision.change.actor,
  at: (revision) => revision.change.at,
  action: (revision) => revision.change.action,
  changes: (revision) => revision.change.changes,
};

export const RewardFieldChange: RewardFieldChangeResolvers = {
  before: (change) => json(change.before),
  after: (change) => json(change.after),
};
