import { useState, type FormEvent } from 'react';
import { graphql } from '../gql';
import type { NotificationKind } from '../gql/graphql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import type { Session } from '../session';
import { ErrorNote, Field, Loading, Section } from '../ui';

const Rules = graphql(`
  query ConsoleNotificationRules {
    notificationRules {
      kind
      enabled
      daysBefore
      revision
      updatedAt
      updatedBy
      messages {
        text
      }
      messagesEn {
        text
      }
    }
  }
`);

const SetRule = graphql(`
  mutation ConsoleSetNotificationRule($input: SetNotificationRuleInput!) {
    setNotificationRule(input: $input) {
      kind
      enabled
    }
  }
`);

/** The automatic LINE notifications (tier up, points expiring): on or off (ADMIN), and what they say. */
export function NotificationRulesPage({ session }: { session: Session }) {
  const { t, dateTime } = useI18n();
  const rules = useQuery(Rules, {});
  const set = useMutation(SetRule);
  const names = { TIER_UP: t('Tier up', 'ランクアップ'), POINTS_EXPIRING: t('Points expiring', 'ポイント失効予告') };
  return (
    <Section title={t('Automatic notifications', '自動通知')}>
      <Loading when={rules.loading && !rules.data} />
      <ErrorNote error={rules.error ?? set.error} />
      <table>
        <tbody>
          {rules.data?.notificationRules.map((rule) => (
            <tr key={rule.kind}>
              <td>{names[rule.kind]}</td>
              <td>
                {session.role === 'ADMIN' ? (
                  <label className="inline">
                    <input type="checkbox" checked={rule.enabled} onChange={(e) => void set.run({ input: { kind: rule.kind, enabled: e.target.checked } }).then(() => rules.refetch())} />
                    {rule.enabled ? t('on', 'オン') : t('off', 'オフ')}
                  </label>
                ) : rule.enabled ? (
                  t('on', 'オン')
                ) : (
                  t('off', 'オフ')
                )}
              </td>
              <td>{rule.daysBefore != null ? `${rule.daysBefore} ${t('days before', '日前')}` : ''}</td>
              <td>{rule.messages.map((m) => m.text ?? 'Flex').join(' / ')}</td>
              <td className="muted">{rule.updatedAt ? `${dateTime(rule.updatedAt)} · ${rule.updatedBy ?? ''} (r${rule.revision})` : ''}</td>
            </tr>
          ))}
          {session.role === 'ADMIN'
            ? rules.data?.notificationRules
                // a rule whose messages are all text is edited here; Flex ones through the API (setNotificationRule)
                .filter((rule) => rule.messages.every((m) => m.text != null))
                .map((rule) => (
                  <tr key={`${rule.kind}-edit`}>
                    <td colSpan={5}>
                      <RuleEditor
                        key={rule.revision}
                        kind={rule.kind}
                        title={names[rule.kind]}
                        text={rule.messages.map((m) => m.text ?? '').join('\n\n')}
                        textEn={(rule.messagesEn ?? []).map((m) => m.text ?? '').join('\n\n')}
                        daysBefore={rule.daysBefore ?? null}
                        onDone={rules.refetch}
                      />
                    </td>
                  </tr>
                ))
            : null}
        </tbody>
      </table>
    </Section>
  );
}

/** ADMIN: a text notification's wording (Japanese, and English for members whose LINE is in English) and timing. */
function RuleEditor(props: { kind: NotificationKind; title: string; text: string; textEn: string; daysBefore: number | null; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const set = useMutation(SetRule);
  const [text, setText] = useState(props.text);
  const [textEn, setTextEn] = useState(props.textEn);
  const [daysBefore, setDaysBefore] = useState(props.daysBefore == null ? '' : String(props.daysBefore));
  const messages = (value: string) =>
    value
      .split(/\n{2,}/)
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => ({ text: part }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input = { kind: props.kind, messages: messages(text), messagesEn: messages(textEn), ...(props.daysBefore != null && daysBefore !== '' ? { daysBefore: Number(daysBefore) } : {}) };
    if (await set.run({ input })) await props.onDone();
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={`${props.title}: ${t('wording', '文面')}`}>
      <div className="row">
        <Field label={t('Message (Japanese; a blank line starts another)', '本文（日本語・空行で次のメッセージ）')}>
          <textarea rows={3} cols={50} required value={text} onChange={(e) => setText(e.target.value)} />
        </Field>
        <Field label={t('Message in English (optional)', '英語の本文（任意）')}>
          <textarea rows={3} cols={50} value={textEn} onChange={(e) => setTextEn(e.target.value)} />
        </Field>
        {props.daysBefore != null ? (
          <Field label={t('Days before expiry', '失効の何日前')}>
            <input type="number" className="short" min={1} max={90} required value={daysBefore} onChange={(e) => setDaysBefore(e.target.value)} />
          </Field>
        ) : null}
        <button type="submit" disabled={set.pending}>
          {t('Save', '保存')}
        </button>
      </div>
      <ErrorNote error={set.error} />
    </form>
  );
}
