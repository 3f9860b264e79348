import { useEffect, useMemo, useState } from 'react';
import { graphql } from '../gql';
import type { ChannelUsage, LineFriendStatus, RegistrationChannel, Tier } from '../gql/graphql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { ErrorNote, Field, Loading, Section } from '../ui';
import { StoresQuery } from './stores';
import { hasUnfinished, newCondition, newGroup, replaceNode, toDefinition, type Condition, type ConditionType, type SegmentNode } from './segment-tree';

export const SegmentsQuery = graphql(`
  query ConsoleSegments {
    segments {
      id
      name
      description
      revision
      updatedAt
      updatedBy
    }
  }
`);

const Preview = graphql(`
  query ConsoleSegmentPreview($definition: SegmentDefinitionInput) {
    segmentPreview(definition: $definition) {
      memberCount
      reachableCount
      consentedCount
      recipientCount
    }
  }
`);

const CreateSegment = graphql(`
  mutation ConsoleCreateSegment($input: CreateSegmentInput!) {
    createSegment(input: $input) {
      id
      name
    }
  }
`);

const DeleteSegment = graphql(`
  mutation ConsoleDeleteSegment($id: ID!) {
    deleteSegment(id: $id)
  }
`);

/** What a value settles to once it stopped changing for `ms` (the live count asks once typing pauses). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Saved segments, and the builder: an AND / OR / NOT tree of the API's conditions with a live count. */
export function SegmentsPage() {
  const { t, dateTime } = useI18n();
  const saved = useQuery(SegmentsQuery, {});
  const remove = useMutation(DeleteSegment);
  const [root, setRoot] = useState<SegmentNode>(() => newGroup('and', [newCondition('pointBalance')]));
  const [name, setName] = useState('');
  const unfinished = hasUnfinished(root);
  const definition = useMemo(() => (hasUnfinished(root) ? null : toDefinition(root)), [root]);
  const settled = useSettled(definition, 300);
  const preview = useQuery(Preview, { definition: settled }, { skip: settled === null });
  const create = useMutation(CreateSegment);
  const save = async () => {
    if (definition && (await create.run({ input: { name, definition } }))) {
      setName('');
      await saved.refetch();
    }
  };
  return (
    <>
      <Section title={t('Segment builder', 'セグメント作成')}>
        <NodeEditor node={root} onChange={(next) => setRoot(replaceNode(root, next.id, next))} onRemove={undefined} />
        <div className="preview-count" aria-live="polite" data-testid="segment-count">
          {unfinished ? (
            <span className="error">{t('Finish or remove the condition that is not filled in (a tier, a store, a tag or a category to choose).', '未入力の条件（ランク・店舗・タグ・カテゴリ）を入力するか削除してください。')}</span>
          ) : settled === null ? (
            <span className="muted">{t('Add a condition to see who matches.', '条件を追加すると該当人数が表示されます。')}</span>
          ) : preview.data ? (
            <>
              <strong>{preview.data.segmentPreview.memberCount}</strong> {t('members match', '人が該当')} · {preview.data.segmentPreview.recipientCount}{' '}
              {t('would receive a LINE message (linked, friends, consented)', '人にLINEで配信できます（連携・友だち・同意あり）')}
            </>
          ) : (
            <Loading when={preview.loading} />
          )}
          {preview.loading && preview.data ? <span className="muted"> …</span> : null}
        </div>
        <ErrorNote error={preview.error} />
        <div className="row">
          <Field label={t('Segment name', 'セグメント名')}>
            <input value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <button type="button" disabled={!name.trim() || !definition || create.pending} onClick={() => void save()}>
            {t('Save segment', 'セグメントを保存')}
          </button>
        </div>
        <ErrorNote error={create.error} />
      </Section>
      <Section title={t('Saved segments', '保存済みセグメント')}>
        <Loading when={saved.loading && !saved.data} />
        <ErrorNote error={saved.error ?? remove.error} />
        <table>
          <thead>
            <tr>
              <th>{t('Name', '名前')}</th>
              <th>{t('Changed', '更新')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {saved.data?.segments.map((segment) => (
              <tr key={segment.id}>
                <td>{segment.name}</td>
                <td>
                  {dateTime(segment.updatedAt)} · {segment.updatedBy} (r{segment.revision})
                </td>
                <td className="row">
                  <Link to={`/messages?segment=${segment.id}`}>{t('Send a message', 'メッセージを送る')}</Link>
                  <button type="button" className="link" onClick={() => void remove.run({ id: segment.id }).then(() => saved.refetch())}>
                    {t('Delete', '削除')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}

const TIERS: Tier[] = ['REGULAR', 'SILVER', 'GOLD', 'PLATINUM'];

function NodeEditor({ node, onChange, onRemove }: { node: SegmentNode; onChange: (node: SegmentNode) => void; onRemove: (() => void) | undefined }) {
  const { t } = useI18n();
  const not = (
    <label className="inline">
      <input type="checkbox" checked={node.not} onChange={(e) => onChange({ ...node, not: e.target.checked })} /> NOT
    </label>
  );
  const removeButton = onRemove ? (
    <button type="button" className="link" onClick={onRemove}>
      {t('Remove', '削除')}
    </button>
  ) : null;
  if (node.kind === 'condition') {
    return (
      <div className="condition">
        {not}
        <ConditionEditor condition={node.condition} onChange={(condition) => onChange({ ...node, condition })} />
        {removeButton}
      </div>
    );
  }
  const setChild = (child: SegmentNode) => onChange({ ...node, children: node.children.map((c) => (c.id === child.id ? child : c)) });
  return (
    <fieldset className="group">
      <legend className="row">
        {not}
        <select aria-label={t('Combine with', '結合')} value={node.op} onChange={(e) => onChange({ ...node, op: e.target.value as 'and' | 'or' })}>
          <option value="and">{t('ALL of (AND)', 'すべて満たす（AND）')}</option>
          <option value="or">{t('ANY of (OR)', 'いずれかを満たす（OR）')}</option>
        </select>
        {removeButton}
      </legend>
      {node.children.map((child) => (
        <NodeEditor key={child.id} node={child} onChange={setChild} onRemove={() => onChange({ ...node, children: node.children.filter((c) => c.id !== child.id) })} />
      ))}
      <div className="row">
        <AddCondition onAdd={(type) => onChange({ ...node, children: [...node.children, newCondition(type)] })} />
        <button type="button" className="link" onClick={() => onChange({ ...node, children: [...node.children, newGroup(node.op === 'and' ? 'or' : 'and')] })}>
          {t('+ group', '＋グループ')}
        </button>
      </div>
    </fieldset>
  );
}

function useConditionLabels(): Record<ConditionType, string> {
  const { t } = useI18n();
  return {
    tier: t('Tier', 'ランク'),
    pointBalance: t('Point balance', 'ポイント残高'),
    pointsExpiring: t('Points expiring', '失効予定ポイント'),
    registeredVia: t('Registered via', '登録経路'),
    registered: t('Registered within days', '登録（日以内）'),
    storesVisited: t('Bought at stores', '購入店舗'),
    boughtCategory: t('Bought a category (any of)', '購入カテゴリ（いずれか）'),
    tags: t('Tags (any)', 'タグ（いずれか）'),
    lastPurchase: t('Bought within days', '最終購入（日以内）'),
    purchaseCount: t('Purchases at least', '購入回数（以上）'),
    spend: t('Spent at least (yen)', '購入金額（円以上）'),
    channelUsage: t('Channels used', '利用チャネル'),
    lineFriendStatus: t('LINE friend status', 'LINE友だち状態'),
    birthdayMonth: t('Birthday this month', '今月が誕生月'),
  };
}

function AddCondition({ onAdd }: { onAdd: (type: ConditionType) => void }) {
  const { t } = useI18n();
  const labels = useConditionLabels();
  return (
    <select aria-label={t('Add a condition', '条件を追加')} value="" onChange={(e) => e.target.value && onAdd(e.target.value as ConditionType)}>
      <option value="">{t('+ condition…', '＋条件…')}</option>
      {Object.entries(labels).map(([type, label]) => (
        <option key={type} value={type}>
          {label}
        </option>
      ))}
    </select>
  );
}

function ConditionEditor({ condition, onChange }: { condition: Condition; onChange: (condition: Condition) => void }) {
  const { t } = useI18n();
  const label = useConditionLabels()[condition.type];
  const stores = useQuery(StoresQuery, {}, { skip: condition.type !== 'storesVisited' });
  const days = t('within days', '日以内');
  const number = (value: string, set: (value: string) => void, aria: string) => <input type="number" className="short" aria-label={aria} value={value} onChange={(e) => set(e.target.value)} />;
  let fields;
  switch (condition.type) {
    case 'tier':
      fields = TIERS.map((tier) => (
        <label key={tier} className="inline">
          <input
            type="checkbox"
            checked={condition.tiers.includes(tier)}
            onChange={(e) => onChange({ ...condition, tiers: e.target.checked ? [...condition.tiers, tier] : condition.tiers.filter((x) => x !== tier) })}
          />
          {tier}
        </label>
      ));
      break;
    case 'pointBalance':
      fields = (
        <>
          {number(condition.min, (min) => onChange({ ...condition, min }), t('at least', '以上'))} – {number(condition.max, (max) => onChange({ ...condition, max }), t('at most', '以下'))}
        </>
      );
      break;
    case 'pointsExpiring':
      fields = (
        <>
          {number(condition.withinDays, (withinDays) => onChange({ ...condition, withinDays }), days)} {days}
        </>
      );
      break;
    case 'registeredVia':
      fields = (
        <select aria-label={label} value={condition.channel} onChange={(e) => onChange({ ...condition, channel: e.target.value as RegistrationChannel })}>
          <option value="STORE">{t('store', '店舗')}</option>
          <option value="ONLINE">{t('online', 'オンライン')}</option>
        </select>
      );
      break;
    case 'registered':
      fields = number(condition.withinDays, (withinDays) => onChange({ ...condition, withinDays }), days);
      break;
    case 'storesVisited':
      fields = (
        <>
          {stores.data?.stores.map((store) => (
            <label key={store.id} className="inline">
              <input
                type="checkbox"
                checked={condition.storeIds.includes(store.id)}
                onChange={(e) => onChange({ ...condition, storeIds: e.target.checked ? [...condition.storeIds, store.id] : condition.storeIds.filter((id) => id !== store.id) })}
              />
              {store.name}
            </label>
          ))}
          / {number(condition.withinDays, (withinDays) => onChange({ ...condition, withinDays }), days)} {days}
        </>
      );
      break;
    case 'boughtCategory':
      fields = (
        <>
          <input aria-label={label} placeholder="food, drink" value={condition.categories} onChange={(e) => onChange({ ...condition, categories: e.target.value })} /> /{' '}
          {number(condition.withinDays, (withinDays) => onChange({ ...condition, withinDays }), days)} {days}
        </>
      );
      break;
    case 'tags':
      fields = <input aria-label={label} placeholder="vip, staff" value={condition.any} onChange={(e) => onChange({ ...condition, any: e.target.value })} />;
      break;
    case 'lastPurchase':
      fields = number(condition.withinDays, (withinDays) => onChange({ ...condition, withinDays }), days);
      break;
    case 'purchaseCount':
    case 'spend':
      fields = (
        <>
          {number(condition.min, (min) => onChange({ ...condition, min }), t('at least', '以上'))} / {number(condition.withinDays, (withinDays) => onChange({ ...condition, withinDays }), days)} {days}
        </>
      );
      break;
    case 'channelUsage':
      fields = (
        <select aria-label={label} value={condition.usage} onChange={(e) => onChange({ ...condition, usage: e.target.value as ChannelUsage })}>
          <option value="STORE_ONLY">{t('stores only', '店舗のみ')}</option>
          <option value="ONLINE_ONLY">{t('online only', 'オンラインのみ')}</option>
          <option value="BOTH">{t('both', '両方')}</option>
        </select>
      );
      break;
    case 'lineFriendStatus':
      fields = (
        <select aria-label={label} value={condition.status} onChange={(e) => onChange({ ...condition, status: e.target.value as LineFriendStatus })}>
          <option value="FRIEND">{t('friend', '友だち')}</option>
          <option value="BLOCKED">{t('blocked', 'ブロック')}</option>
        </select>
      );
      break;
    case 'birthdayMonth':
      fields = null;
  }
  return (
    <span className="row" data-condition={condition.type}>
      <strong>{label}</strong> {fields}
    </span>
  );
}
