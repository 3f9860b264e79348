import type { RewardChangeResolvers, RewardFieldChangeResolvers, RuleChangeResolvers } from '../__generated__/resolvers-types';

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

/** The audit of the earn rules' revisions (rule-audit.ts), with the same field changes as a reward's. */
export const RuleChange: RuleChangeResolvers = {
  actor: (view) => view.change.actor,
  at: (view) => view.change.at,
  action: (view) => view.change.action,
  changes: (view) => view.change.changes,
};
