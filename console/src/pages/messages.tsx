import { useState, type ReactNode } from 'react';
import { graphql } from '../gql';
import type { MessageDeliveryStatus } from '../gql/graphql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import { fromJstInput } from '../jst';
import { ErrorNote, Field, Section, useIdempotencyKey } from '../ui';
import { SegmentsQuery } from './segments';

const Send = graphql(`
  mutation ConsoleSendSegmentMessage($input: SendSegmentMessageInput!) {
    sendSegmentMessage(input: $input) {
      id
    }
  }
`);

const Delivery = graphql(`
  query ConsoleMessageDelivery($id: ID!) {
    messageDelivery(id: $id) {
      id
      status
      dryRun
      recipients
      sent
      failed
      skippedBlocked
      skippedNoConsent
      scheduledAt
      startedAt
      finishedAt
    }
  }
`);

const Cancel = graphql(`
  mutation ConsoleCancelDelivery($id: ID!) {
    cancelDelivery(id: $id) {
      id
      status
    }
  }
`);

const SAMPLE_FLEX = JSON.stringify(
  {
    type: 'bubble',
    body: {
      type: 'box',
      layout: 'vertical',
      contents: [
        { type: 'text', text: '週末ポイント2倍', weight: 'bold', size: 'xl' },
        { type: 'text', text: '土日のお買い物でポイントが2倍になります。', wrap: true },
      ],
    },
    footer: { type: 'box', layout: 'vertical', contents: [{ type: 'button', style: 'primary', action: { type: 'uri', label: '詳しく見る', uri: 'https://example.com/' } }] },
  },
  null,
  2,
);

const DELIVERIES_KEY = 'omo-console-deliveries';
const FINISHED: MessageDeliveryStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** The message composer: a saved segment, text or Flex with a rendered preview, now or scheduled, or a dry run. */
export function MessagesPage() {
  const { t } = useI18n();
  const segments = useQuery(SegmentsQuery, {});
  const [segmentId, setSegmentId] = useState(() => new URLSearchParams(location.search).get('segment') ?? '');
  const [kind, setKind] = useState<'text' | 'flex'>('text');
  const [text, setText] = useState('');
  const [flex, setFlex] = useState(SAMPLE_FLEX);
  const [altText, setAltText] = useState('週末ポイント2倍');
  const [scheduledAt, setScheduledAt] = useState('');
  const [dryRun, setDryRun] = useState(true);
  const idempotency = useIdempotencyKey();
  const [timeProblem, setTimeProblem] = useState(false);
  const [deliveries, setDeliveries] = useState<string[]>(() => JSON.parse(sessionStorage.getItem(DELIVERIES_KEY) ?? '[]') as string[]);
  const send = useMutation(Send);
  let contents: unknown;
  let flexProblem: string | undefined;
  try {
    contents = JSON.parse(flex);
  } catch (error) {
    flexProblem = String(error);
  }
  const submit = async () => {
    const message = kind === 'text' ? { text } : { flex: { altText, contents } };
    const at = fromJstInput(scheduledAt);
    // a send time that is not one must not turn into "now"
    if (scheduledAt && !at) return setTimeProblem(true);
    setTimeProblem(false);
    const change = { segmentId, messages: [message], dryRun, scheduledAt: at };
    const delivery = await send.run({ input: { ...change, idempotencyKey: idempotency.keyFor(change) } });
    if (!delivery) return;
    idempotency.done();
    const next = [delivery.sendSegmentMessage.id, ...deliveries.filter((id) => id !== delivery.sendSegmentMessage.id)].slice(0, 20);
    sessionStorage.setItem(DELIVERIES_KEY, JSON.stringify(next));
    setDeliveries(next);
  };
  const ready = segmentId && (kind === 'text' ? text.trim() : !flexProblem && altText.trim());
  return (
    <>
      <Section title={t('Compose a message', 'メッセージ作成')}>
        <div className="composer">
          <div>
            <Field label={t('Segment', 'セグメント')}>
              <select value={segmentId} onChange={(e) => setSegmentId(e.target.value)}>
                <option value="">{t('Choose a saved segment…', '保存済みセグメントを選択…')}</option>
                {segments.data?.segments.map((segment) => (
                  <option key={segment.id} value={segment.id}>
                    {segment.name}
                  </option>
                ))}
              </select>
            </Field>
            <div className="row">
              <label className="inline">
                <input type="radio" checked={kind === 'text'} onChange={() => setKind('text')} /> {t('Text', 'テキスト')}
              </label>
              <label className="inline">
                <input type="radio" checked={kind === 'flex'} onChange={() => setKind('flex')} /> Flex
              </label>
            </div>
            {kind === 'text' ? (
              <Field label={t('Message', '本文')}>
                <textarea rows={5} value={text} onChange={(e) => setText(e.target.value)} />
              </Field>
            ) : (
              <>
                <Field label={t('Alternative text (shown in notifications)', '代替テキスト（通知に表示）')}>
                  <input value={altText} onChange={(e) => setAltText(e.target.value)} />
                </Field>
                <Field label={t('Flex contents (JSON)', 'Flexの内容（JSON）')}>
                  <textarea rows={14} className="mono" value={flex} onChange={(e) => setFlex(e.target.value)} />
                </Field>
                {flexProblem ? <p className="error">{flexProblem}</p> : null}
              </>
            )}
            <Field label={t('Send at, Japan time (empty: now)', '配信日時・日本時間（空欄：今すぐ）')}>
              <input type="datetime-local" value={scheduledAt} onChange={(e) => setScheduledAt(e.target.value)} />
            </Field>
            {timeProblem ? (
              <p className="error" role="alert">
                {t('Give the send time as a date and time, or leave it empty to send now.', '配信日時を日付と時刻で入力するか、空欄にして今すぐ配信してください。')}
              </p>
            ) : null}
            <label className="inline">
              <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> {t('Dry run: count the recipients, send nothing', 'テスト実行：配信対象を数えるだけで送信しない')}
            </label>
            <div className="row">
              <button type="button" disabled={!ready || send.pending} onClick={() => void submit()}>
                {dryRun ? t('Run the dry run', 'テスト実行する') : t('Send', '配信する')}
              </button>
            </div>
            <ErrorNote error={send.error} />
          </div>
          <div className="phone" aria-label={t('Preview', 'プレビュー')}>
            {kind === 'text' ? <div className="bubble text">{text || '…'}</div> : flexProblem ? null : <FlexPreview node={contents} />}
          </div>
        </div>
      </Section>
      <Section title={t('Deliveries', '配信状況')}>
        {deliveries.length ? deliveries.map((id) => <DeliveryProgress key={id} id={id} />) : <p className="muted">—</p>}
      </Section>
    </>
  );
}

function DeliveryProgress({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const delivery = useQuery(Delivery, { id }, { pollMs: 1000, poll: (data) => !!data.messageDelivery && !FINISHED.includes(data.messageDelivery.status) });
  const cancel = useMutation(Cancel);
  const d = delivery.data?.messageDelivery;
  if (!d) return <ErrorNote error={delivery.error} />;
  const done = d.sent + d.failed + d.skippedBlocked + d.skippedNoConsent;
  const percent = d.status === 'COMPLETED' ? 100 : d.recipients ? Math.round((100 * done) / d.recipients) : 0;
  return (
    <div className="delivery" data-testid="delivery" data-status={d.status}>
      <div className="row">
        <strong>{d.status}</strong>
        {d.dryRun ? <span className="badge">{t('dry run', 'テスト実行')}</span> : null}
        <span>
          {t('recipients', '対象')} {d.recipients} · {t('sent', '送信')} {d.sent} · {t('failed', '失敗')} {d.failed} · {t('blocked', 'ブロック')} {d.skippedBlocked} · {t('no consent', '同意なし')} {d.skippedNoConsent}
        </span>
        {d.scheduledAt ? <span className="muted">{dateTime(d.scheduledAt)}</span> : null}
        {!FINISHED.includes(d.status) ? (
          <button type="button" className="link" onClick={() => void cancel.run({ id }).then(() => delivery.refetch())}>
            {t('Cancel', '中止')}
          </button>
        ) : null}
      </div>
      <progress max={100} value={percent} aria-label={t('Progress', '進捗')}>
        {percent}%
      </progress>
      <ErrorNote error={cancel.error} />
    </div>
  );
}

type FlexNode = { type?: unknown; layout?: unknown; contents?: unknown; text?: unknown; url?: unknown; weight?: unknown; size?: unknown; action?: { label?: unknown }; header?: unknown; hero?: unknown; body?: unknown; footer?: unknown };

const asText = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
const children = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * A preview of a Flex bubble or carousel: boxes, text, images, buttons and separators, as LINE lays them out roughly.
 * Whatever JSON staff typed, it draws what it recognises and skips the rest (LINE itself checks the message).
 */
function FlexPreview({ node }: { node: unknown }): ReactNode {
  if (typeof node !== 'object' || node === null) return null;
  const flex = node as FlexNode;
  if (flex.type === 'carousel') return <div className="carousel">{children(flex.contents).map((bubble, i) => <FlexPreview key={i} node={bubble} />)}</div>;
  if (flex.type === 'bubble') {
    return (
      <div className="bubble flex">
        {(['header', 'hero', 'body', 'footer'] as const).map((part) =>
          flex[part] ? (
            <div key={part} className={`flex-${part}`}>
              <FlexPreview node={flex[part]} />
            </div>
          ) : null,
        )}
      </div>
    );
  }
  switch (flex.type) {
    case 'box':
      return <div className={`flex-box ${flex.layout === 'horizontal' ? 'horizontal' : 'vertical'}`}>{children(flex.contents).map((child, i) => <FlexPreview key={i} node={child} />)}</div>;
    case 'text':
      return <p className={`flex-text size-${asText(flex.size) || 'md'} ${flex.weight === 'bold' ? 'bold' : ''}`}>{asText(flex.text)}</p>;
    case 'image':
      return <div className="flex-image">🖼 {asText(flex.url)}</div>;
    case 'button':
      return <div className="flex-button">{asText(flex.action?.label)}</div>;
    case 'separator':
      return <hr />;
    default:
      return null;
  }
}
