import { readFileSync } from 'node:fs';
import path from 'node:path';
import { codegen } from '@graphql-codegen/core';
import * as typescriptPlugin from '@graphql-codegen/typescript';
import * as resolversPlugin from '@graphql-codegen/typescript-resolvers';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { Kind, OperationTypeNode, parse, visit, type DocumentNode } from 'graphql';

/**
 * GraphQL Code Generator settings per subgraph: typescript + typescript-resolvers with federation support,
 * mapping GraphQL types to the lean mongoose documents the resolvers really receive.
 */
export const subgraphCodegen: Record<string, { contextType: string; mappers: Record<string, string> }> = {
  members: {
    contextType: '../context#MembersContext',
    mappers: {
      Member: '../models/member.model#MemberDoc',
      MemberCard: '../models/member.model#MemberDoc',
      ApiKey: '../models/api-key.model#ApiKeyView',
      CreatedApiKey: '../services/api-key.service#IssuedApiKey',
      MemberDuplicate: '../services/member-duplicates.service#DuplicateView',
    },
  },
  points: {
    contextType: '../context#PointsContext',
    mappers: {
      Member: '../mappers#MemberRef',
      Purchase: '../mappers#PurchaseRef',
      PointsAccount: '../services/ledger.service#AccountState',
      PointTransaction: '../models/ledger-entry.model#LedgerEntryDoc',
      Campaign: '../models/campaign.model#CampaignDoc',
      ItemRule: '../models/item-rule.model#ItemRuleDoc',
      EarnBreakdown: '../services/earn-calculator#StoredEarnBreakdown',
      Reward: '../models/reward.model#RewardDoc',
      RewardChange: '../models/reward.model#RewardDoc',
      RuleChange: '../services/rule-audit#RuleChangeView',
      RewardFieldChange: '../models/rule-change.schema#FieldChange',
      Coupon: '../models/coupon.model#CouponDoc',
    },
  },
  purchases: {
    contextType: '../context#PurchasesContext',
    mappers: {
      Store: '../models/store.model#StoreDoc',
      Purchase: '../models/purchase.model#PurchaseDoc',
      PurchaseLine: '../mappers#PurchaseLineView',
      ReceiptClaim: '../services/receipt-code#ReceiptClaimView',
      Refund: '../models/refund.model#RefundDoc',
      Member: '../mappers#MemberRef',
      PurchaseSummary: '../services/stats#PurchaseStats',
      Coupon: '../mappers#CouponRef',
      Campaign: '../mappers#CampaignRepresentation',
      SmaregiEvent: '../smaregi/webhook/event-log.model#SmaregiEventLogDoc',
      SmaregiPointPush: '../smaregi/mirror/point-mirror.models#PointPushDoc',
    },
  },
  line: {
    contextType: '../context#LineContext',
    mappers: {
      Member: '../mappers#MemberRef',
      LineAccount: '../linking/line-link.model#LineLinkDoc',
      MergedLineAccount: '../linking/link-merge.service#KeptLinkRecord',
      Segment: '../segments/segment.service#SegmentView',
      SegmentPreview: '../segments/segment.service#SegmentPreviewResult',
      MessageDelivery: '../delivery/delivery-views#MessageDelivery as MessageDeliveryModel',
      NotificationRule: '../notifications/notification-rules.service#NotificationRuleView',
      LineMessage: '../delivery/delivery-messages#DeliveryMessage',
    },
  },
};

const PLUMBING_TYPES = new Set(['_Service', '_Entity', '_Any']);
const PLUMBING_FIELDS = new Set(['_entities', '_service']);

/**
 * The schema as buildSubgraphSchema sees it (federation directives defined) minus the _entities/_service
 * plumbing, which Apollo resolves itself and the `federation: true` preset leaves out of the resolver types.
 */
function withoutFederationPlumbing(document: DocumentNode): DocumentNode {
  return visit(document, {
    ObjectTypeDefinition(node) {
      if (PLUMBING_TYPES.has(node.name.value)) return null;
      if (node.name.value !== 'Query') return undefined;
      const fields = node.fields?.filter((field) => !PLUMBING_FIELDS.has(field.name.value)) ?? [];
      return fields.length ? { ...node, fields } : null;
    },
    UnionTypeDefinition: (node) => (PLUMBING_TYPES.has(node.name.value) ? null : undefined),
    ScalarTypeDefinition: (node) => (PLUMBING_TYPES.has(node.name.value) ? null : undefined),
    SchemaDefinition(node) {
      const hasQuery = document.definitions.some(
        (d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Query' && d.fields?.some((f) => !PLUMBING_FIELDS.has(f.name.value)),
      );
      return hasQuery ? undefined : { ...node, operationTypes: node.operationTypes.filter((t) => t.operation !== OperationTypeNode.QUERY) };
    },
  });
}

export const GENERATED_FILE = path.join('src', '__generated__', 'resolvers-types.ts');

/** Generates the resolver types of one subgraph from its schema.graphql; returns the file path and content. */
export async function generateResolverTypes(name: string): Promise<{ file: string; content: string }> {
  const settings = subgraphCodegen[name];
  if (!settings) throw new Error(`No codegen settings for subgraph ${name}`);
  const dir = path.join(__dirname, 'subgraphs', name);
  const sdl = readFileSync(path.join(dir, 'schema.graphql'), 'utf8');
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl) });
  const content = await codegen({
    filename: GENERATED_FILE,
    schema: withoutFederationPlumbing(parse(printSchemaWithDirectives(schema))),
    documents: [],
    plugins: [{ typescript: {} }, { typescriptResolvers: {} }],
    pluginMap: { typescript: typescriptPlugin, typescriptResolvers: resolversPlugin },
    config: {
      federation: true,
      useIndexSignature: true,
      enumsAsTypes: true,
      useTypeImports: true,
      contextType: settings.contextType,
      mappers: settings.mappers,
      scalars: { DateTime: 'Date', JSON: 'unknown' },
    },
  });
  return { file: path.join(dir, GENERATED_FILE), content: `/* Generated by \`npm run codegen\` from schema.graphql: do not edit. */\n${content}` };
}
