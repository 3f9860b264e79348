import type { ChannelUsage, LineFriendStatus, RegistrationChannel, SegmentDefinitionInput, Tier } from '../gql/graphql';

/**
 * The segment builder's tree: AND / OR groups of conditions, any node negated (NOT), turned into the
 * SegmentDefinitionInput the API evaluates. Each condition is one of the API's, with the fields staff fill in.
 */
export type Condition =
  | { type: 'tier'; tiers: Tier[] }
  | { type: 'pointBalance'; min: string; max: string }
  | { type: 'pointsExpiring'; withinDays: string; minPoints: string }
  | { type: 'registeredVia'; channel: RegistrationChannel }
  | { type: 'registered'; withinDays: string }
  | { type: 'storesVisited'; storeIds: string[]; withinDays: string }
  | { type: 'boughtCategory'; categories: string; withinDays: string }
  | { type: 'tags'; any: string }
  | { type: 'lastPurchase'; withinDays: string }
  | { type: 'purchaseCount'; min: string; withinDays: string }
  | { type: 'spend'; min: string; withinDays: string }
  | { type: 'channelUsage'; usage: ChannelUsage; withinDays: string }
  | { type: 'lineFriendStatus'; status: LineFriendStatus }
  | { type: 'birthdayMonth' };

export type ConditionType = Condition['type'];

export type SegmentNode =
  | { id: string; kind: 'group'; op: 'and' | 'or'; not: boolean; children: SegmentNode[] }
  | { id: string; kind: 'condition'; not: boolean; condition: Condition };

let counter = 0;
const nextId = () => `n${++counter}`;

export function newGroup(op: 'and' | 'or' = 'and', children: SegmentNode[] = []): SegmentNode {
  return { id: nextId(), kind: 'group', op, not: false, children };
}

export function newCondition(type: ConditionType): SegmentNode {
  const condition: Record<ConditionType, Condition> = {
    tier: { type: 'tier', tiers: ['GOLD'] },
    pointBalance: { type: 'pointBalance', min: '100', max: '' },
    pointsExpiring: { type: 'pointsExpiring', withinDays: '30', minPoints: '' },
    registeredVia: { type: 'registeredVia', channel: 'STORE' },
    registered: { type: 'registered', withinDays: '30' },
    storesVisited: { type: 'storesVisited', storeIds: [], withinDays: '90' },
    boughtCategory: { type: 'boughtCategory', categories: '', withinDays: '90' },
    tags: { type: 'tags', any: '' },
    lastPurchase: { type: 'lastPurchase', withinDays: '90' },
    purchaseCount: { type: 'purchaseCount', min: '2', withinDays: '365' },
    spend: { type: 'spend', min: '10000', withinDays: '365' },
    channelUsage: { type: 'channelUsage', usage: 'BOTH', withinDays: '' },
    lineFriendStatus: { type: 'lineFriendStatus', status: 'FRIEND' },
    birthdayMonth: { type: 'birthdayMonth' },
  };
  return { id: nextId(), kind: 'condition', not: false, condition: condition[type] };
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
const int = (value: string): number | undefined => (value.trim() === '' ? undefined : Number(value));
const window = (withinDays: string) => (int(withinDays) === undefined ? undefined : { fromDaysAgo: int(withinDays) });

function conditionInput(condition: Condition): SegmentDefinitionInput {
  switch (condition.type) {
    case 'tier':
      return { tier: condition.tiers };
    case 'pointBalance':
      return { pointBalance: { min: int(condition.min), max: int(condition.max) } };
    case 'pointsExpiring':
      return { pointsExpiring: { withinDays: int(condition.withinDays) ?? 30, minPoints: int(condition.minPoints) } };
    case 'registeredVia':
      return { registeredVia: condition.channel };
    case 'registered':
      return { registered: window(condition.withinDays) ?? {} };
    case 'storesVisited':
      return { storesVisited: { storeIds: condition.storeIds, window: window(condition.withinDays) } };
    case 'boughtCategory':
      return { boughtCategory: { categories: list(condition.categories), window: window(condition.withinDays) } };
    case 'tags':
      return { tags: { any: list(condition.any) } };
    case 'lastPurchase':
      return { lastPurchase: window(condition.withinDays) ?? {} };
    case 'purchaseCount':
      return { purchaseCount: { count: { min: int(condition.min) }, window: window(condition.withinDays) } };
    case 'spend':
      return { spend: { amount: { min: int(condition.min) }, window: window(condition.withinDays) } };
    case 'channelUsage':
      return { channelUsage: { usage: condition.usage, window: window(condition.withinDays) } };
    case 'lineFriendStatus':
      return { lineFriendStatus: condition.status };
    case 'birthdayMonth':
      return { birthdayMonth: { currentMonth: true } };
  }
}

/** Whether a condition has what the API needs (a store, a tag, a category, a tier chosen). */
function complete(condition: Condition): boolean {
  switch (condition.type) {
    case 'tier':
      return condition.tiers.length > 0;
    case 'storesVisited':
      return condition.storeIds.length > 0;
    case 'tags':
      return list(condition.any).length > 0;
    case 'boughtCategory':
      return list(condition.categories).length > 0;
    default:
      return true;
  }
}

/** Whether some condition in the tree is not filled in: the segment is not what staff mean yet, so it is not counted or saved. */
export function hasUnfinished(node: SegmentNode): boolean {
  return node.kind === 'condition' ? !complete(node.condition) : node.children.some(hasUnfinished);
}

/**
 * The tree as the API's definition, leaving out an empty group (the API refuses one; "+ group" makes one to fill).
 * Null when nothing is left: there is no segment to count yet. Call it on a tree without unfinished conditions.
 */
export function toDefinition(node: SegmentNode): SegmentDefinitionInput | null {
  let inner: SegmentDefinitionInput | null;
  if (node.kind === 'condition') inner = conditionInput(node.condition);
  else {
    const parts = node.children.map(toDefinition).filter((part): part is SegmentDefinitionInput => part !== null);
    inner = parts.length ? { [node.op]: parts } : null;
  }
  return inner && node.not ? { not: inner } : inner;
}

/** The tree with one node replaced (or removed, given null), found by id. */
export function replaceNode(root: SegmentNode, id: string, next: SegmentNode | null): SegmentNode {
  if (root.id === id) return next ?? newGroup();
  if (root.kind === 'condition') return root;
  const children = root.children.flatMap((child) => (child.id === id ? (next ? [next] : []) : [replaceNode(child, id, next)]));
  return { ...root, children };
}
