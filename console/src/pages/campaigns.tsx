import { useState, type FormEvent } from 'react';
import { graphql } from '../gql';
import type { CampaignKind } from '../gql/graphql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import { fromJstInput } from '../jst';
import type { Session } from '../session';
import { ErrorNote, Field, Loading, Section } from '../ui';
import { RewardActiveSwitch, RewardForm } from './reward-form';
import { PolicyForm, StoreRateForm, TierForm } from './rule-forms';

const Rules = graphql(`
  query ConsoleRules {
    campaigns(all: true) {
      id
      name
      kind
      multiplierPercent
      bonusPoints
      minAmount
      channels
      tiers
      storeIds
      startsAt
      endsAt
    }
    earnRules {
      channelRates {
        channel
        ratePoints
        ratePerYen
      }
      storeRates {
        storeId
        ratePoints
        ratePerYen
        startsAt
        endsAt
      }
      tiers {
        tier
        minSpend
        multiplierPercent
      }
      tierWindowDays
      pendingDays
      onlinePendingDays
      expiryMode
      lotValidityDays
      signupBonusPoints
      birthdayBonusPoints
    }
    rewards {
      id
      name {
        ja
        en
      }
      pointsCost
      active
      stock
      revision
    }
  }
`);

const RuleAudit = graphql(`
  query ConsoleRuleChanges {
    ruleChanges(first: 20) {
      rule
      ruleId
      revision
      actor
      at
      action
      changes {
        field
        before
        after
      }
    }
  }
`);

const RewardAudit = graphql(`
  query ConsoleRewardChanges($rewardId: ID!) {
    rewardChanges(rewardId: $rewardId) {
      revision
      actor
      at
      action
      changes {
        field
        before
        after
      }
    }
  }
`);

const CreateCampaign = graphql(`
  mutation ConsoleCreateCampaign($input: CreateCampaignInput!) {
    createCampaign(input: $input) {
      id
    }
  }
`);

const EndCampaign = graphql(`
  mutation ConsoleEndCampaign($id: ID!) {
    endCampaign(id: $id) {
      id
      endsAt
    }
  }
`);

/** Campaigns, the earn rules (rates, tiers, policy) and rewards with their audit; ADMIN changes them. */
export function CampaignsPage({ session }: { session: Session }) {
  const { t, dateTime, language } = useI18n();
  const rules = useQuery(Rules, {});
  const ruleAudit = useQuery(RuleAudit, {});
  const end = useMutation(EndCampaign);
  const [audited, setAudited] = useState<string>();
  const audit = useQuery(RewardAudit, { rewardId: audited ?? '' }, { skip: !audited });
  const reload = async () => {
    await Promise.all([rules.refetch(), ruleAudit.refetch(), audited ? audit.refetch() : undefined]);
  };
  const admin = session.role === 'ADMIN';
  const now = Date.now();
  const r = rules.data?.earnRules;
  return (
    <>
      <Loading when={rules.loading && !rules.data} />
      <ErrorNote error={rules.error ?? end.error} />
      <Section title={t('Campaigns', 'キャンペーン')}>
        <table>
          <thead>
            <tr>
              <th>{t('Name', '名前')}</th>
              <th>{t('Effect', '内容')}</th>
              <th>{t('Window', '期間')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.data?.campaigns.map((campaign) => (
              <tr key={campaign.id}>
                <td>{campaign.name}</td>
                <td>{campaign.kind === 'MULTIPLIER' ? `×${(campaign.multiplierPercent ?? 100) / 100}` : `+${campaign.bonusPoints ?? 0} pt`}</td>
                <td>
                  {dateTime(campaign.startsAt)} – {dateTime(campaign.endsAt)}
                </td>
                <td>
                  {admin && new Date(campaign.endsAt).getTime() > now ? (
                    <button type="button" className="danger" onClick={() => void end.run({ id: campaign.id }).then(reload)}>
                      {t('End now', '今すぐ終了')}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {admin ? <CampaignForm onDone={reload} /> : null}
      </Section>
      {r ? (
        <Section title={t('Earn rules', '付与ルール')}>
          <h3>{t('Rates', '付与率')}</h3>
          <ul>
            {r.channelRates.map((rate) => (
              <li key={rate.channel ?? 'all'}>
                {rate.channel}: {rate.ratePoints} pt / ¥{rate.ratePerYen}
              </li>
            ))}
            {r.storeRates.map((rate) => (
              <li key={`${rate.storeId}-${rate.startsAt ?? ''}`}>
                {t('store', '店舗')} {rate.storeId}: {rate.ratePoints} pt / ¥{rate.ratePerYen}
              </li>
            ))}
          </ul>
          {admin ? <StoreRateForm onDone={reload} /> : null}
          <h3>{t('Tiers', 'ランク')}</h3>
          <ul>
            {r.tiers.map((tier) => (
              <li key={tier.tier}>
                {tier.tier}: ¥{tier.minSpend}+ → ×{tier.multiplierPercent / 100}
              </li>
            ))}
          </ul>
          {admin ? <TierForm key={JSON.stringify(r.tiers)} tiers={r.tiers} onDone={reload} /> : null}
          <h3>{t('Policy', 'ポリシー')}</h3>
          <p>
            {t('Pending days', '仮付与日数')} {r.pendingDays} / {r.onlinePendingDays} · {t('Expiry', '有効期限')} {r.expiryMode} {r.lotValidityDays}d · {t('Sign-up bonus', '入会ボーナス')}{' '}
            {r.signupBonusPoints} · {t('Birthday bonus', '誕生日ボーナス')} {r.birthdayBonusPoints}
          </p>
          {admin ? (
            <PolicyForm
              key={`${r.pendingDays}-${r.onlinePendingDays}-${r.lotValidityDays}-${r.signupBonusPoints}-${r.birthdayBonusPoints}`}
              policy={{ pendingDays: r.pendingDays, onlinePendingDays: r.onlinePendingDays, lotValidityDays: r.lotValidityDays, signupBonusPoints: r.signupBonusPoints, birthdayBonusPoints: r.birthdayBonusPoints }}
              onDone={reload}
            />
          ) : null}
        </Section>
      ) : null}
      <Section title={t('Audit: the newest rule changes', '変更履歴：最近のルール変更')}>
        <table data-testid="rule-audit">
          <thead>
            <tr>
              <th>{t('When', '日時')}</th>
              <th>{t('Who', '担当')}</th>
              <th>{t('What', '操作')}</th>
              <th>{t('Changed', '変更内容')}</th>
            </tr>
          </thead>
          <tbody>
            {ruleAudit.data?.ruleChanges.map((change) => (
              <tr key={`${change.rule}-${change.ruleId ?? ''}-${change.revision}`}>
                <td>{dateTime(change.at)}</td>
                <td>{change.actor}</td>
                <td>
                  {change.action}
                  {change.rule === 'CAMPAIGN' ? ` · ${rules.data?.campaigns.find((c) => c.id === change.ruleId)?.name ?? change.ruleId}` : ''}
                </td>
                <td>{change.changes.map((c) => `${c.field}: ${c.before ?? '—'} → ${c.after ?? '—'}`).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <ErrorNote error={ruleAudit.error} />
      </Section>
      <Section title={t('Rewards', '特典')}>
        <table>
          <tbody>
            {rules.data?.rewards.map((reward) => (
              <tr key={reward.id}>
                <td>{language === 'ja' ? reward.name.ja : reward.name.en}</td>
                <td>{reward.pointsCost} pt</td>
                <td>
                  {reward.active ? t('active', '有効') : t('inactive', '無効')} {admin ? <RewardActiveSwitch id={reward.id} active={reward.active} onDone={reload} /> : null}
                </td>
                <td>
                  <button type="button" className="link" onClick={() => setAudited(reward.id)}>
                    {t('Audit', '変更履歴')} (r{reward.revision})
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {admin ? <RewardForm onDone={reload} /> : null}
        {audited && audit.data ? (
          <ol>
            {audit.data.rewardChanges.map((change) => (
              <li key={change.revision}>
                r{change.revision} {change.action} · {change.actor} · {dateTime(change.at)}: {change.changes.map((c) => `${c.field}: ${c.before ?? '—'} → ${c.after ?? '—'}`).join('; ')}
              </li>
            ))}
          </ol>
        ) : null}
        <ErrorNote error={audit.error} />
      </Section>
    </>
  );
}

function CampaignForm({ onDone }: { onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const create = useMutation(CreateCampaign);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<CampaignKind>('MULTIPLIER');
  const [value, setValue] = useState('200');
  const [startsAt, setStartsAt] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const effect = kind === 'MULTIPLIER' ? { multiplierPercent: Number(value) } : { bonusPoints: Number(value) };
    const [from, until] = [fromJstInput(startsAt), fromJstInput(endsAt)];
    // the inputs are required; a browser without a date-time picker may still hold something that is not one
    if (!from || !until) return;
    if (await create.run({ input: { name, kind, ...effect, startsAt: from, endsAt: until } })) {
      setName('');
      await onDone();
    }
  };
  return (
    <form className="row" onSubmit={(e) => void submit(e)} aria-label={t('New campaign', '新しいキャンペーン')}>
      <Field label={t('Name', '名前')}>
        <input required value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label={t('Kind', '種類')}>
        <select value={kind} onChange={(e) => setKind(e.target.value as CampaignKind)}>
          <option value="MULTIPLIER">{t('Multiplier (%)', '倍率（%）')}</option>
          <option value="FIXED_BONUS">{t('Bonus points', 'ボーナスポイント')}</option>
        </select>
      </Field>
      <Field label={kind === 'MULTIPLIER' ? '%' : 'pt'}>
        <input type="number" className="short" required value={value} onChange={(e) => setValue(e.target.value)} />
      </Field>
      <Field label={t('Starts (Japan time)', '開始（日本時間）')}>
        <input type="datetime-local" required value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />
      </Field>
      <Field label={t('Ends (Japan time)', '終了（日本時間）')}>
        <input type="datetime-local" required value={endsAt} onChange={(e) => setEndsAt(e.target.value)} />
      </Field>
      <button type="submit" disabled={create.pending}>
        {t('Create campaign', 'キャンペーンを作成')}
      </button>
      <ErrorNote error={create.error} />
    </form>
  );
}
