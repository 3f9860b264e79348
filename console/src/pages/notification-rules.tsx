import { graphql } from '../gql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import type { Session } from '../session';
import { ErrorNote, Loading, Section } from '../ui';

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
        </tbody>
      </table>
    </Section>
  );
}
