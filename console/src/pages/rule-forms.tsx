import { useState, type FormEvent } from 'react';
import { graphql } from '../gql';
import type { Tier } from '../gql/graphql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import { ErrorNote, Field } from '../ui';
import { StoresQuery } from './stores';

const SetStoreRate = graphql(`
  mutation ConsoleSetStoreEarnRate($input: SetStoreEarnRateInput!) {
    setStoreEarnRate(input: $input) {
      rounding
    }
  }
`);

const SetTiers = graphql(`
  mutation ConsoleSetTierRules($tiers: [TierRuleInput!]!) {
    setTierRules(tiers: $tiers) {
      rounding
    }
  }
`);

const SetPolicy = graphql(`
  mutation ConsoleSetPointsPolicy($input: SetPointsPolicyInput!) {
    setPointsPolicy(input: $input) {
      rounding
    }
  }
`);

/** ADMIN: a store's own earn rate (points per yen); each change is a revision in the rules' audit. */
export function StoreRateForm({ onDone }: { onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const stores = useQuery(StoresQuery, {});
  const set = useMutation(SetStoreRate);
  const [storeId, setStoreId] = useState('');
  const [ratePoints, setRatePoints] = useState('1');
  const [ratePerYen, setRatePerYen] = useState('100');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await set.run({ input: { storeId, ratePoints: Number(ratePoints), ratePerYen: Number(ratePerYen) } })) await onDone();
  };
  return (
    <form className="row" onSubmit={(e) => void submit(e)} aria-label={t('Set a store rate', '店舗の付与率を設定')}>
      <Field label={t('Store', '店舗')}>
        <select required value={storeId} onChange={(e) => setStoreId(e.target.value)}>
          <option value="">…</option>
          {stores.data?.stores.map((store) => (
            <option key={store.id} value={store.id}>
              {store.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('Points', 'ポイント')}>
        <input type="number" className="short" required value={ratePoints} onChange={(e) => setRatePoints(e.target.value)} />
      </Field>
      <Field label={t('per yen', '円ごと')}>
        <input type="number" className="short" required value={ratePerYen} onChange={(e) => setRatePerYen(e.target.value)} />
      </Field>
      <button type="submit" disabled={set.pending || !storeId}>
        {t('Set store rate', '付与率を設定')}
      </button>
      <ErrorNote error={set.error} />
    </form>
  );
}

/** ADMIN: the four tiers' thresholds (rolling spend, yen) and multipliers, set together. */
export function TierForm({ tiers, onDone }: { tiers: { tier: Tier; minSpend: number; multiplierPercent: number }[]; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const set = useMutation(SetTiers);
  const [rows, setRows] = useState(() => tiers.map((row) => ({ tier: row.tier, minSpend: String(row.minSpend), multiplierPercent: String(row.multiplierPercent) })));
  const change = (tier: Tier, field: 'minSpend' | 'multiplierPercent', value: string) => setRows(rows.map((row) => (row.tier === tier ? { ...row, [field]: value } : row)));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await set.run({ tiers: rows.map((row) => ({ tier: row.tier, minSpend: Number(row.minSpend), multiplierPercent: Number(row.multiplierPercent) })) })) await onDone();
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={t('Tiers', 'ランク')}>
      <table>
        <tbody>
          {rows.map((row) => (
            <tr key={row.tier}>
              <td>{row.tier}</td>
              <td>
                ¥ <input type="number" aria-label={`${row.tier} ${t('minimum spend', '必要購入額')}`} value={row.minSpend} onChange={(e) => change(row.tier, 'minSpend', e.target.value)} />
              </td>
              <td>
                <input type="number" className="short" aria-label={`${row.tier} %`} value={row.multiplierPercent} onChange={(e) => change(row.tier, 'multiplierPercent', e.target.value)} /> %
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="submit" disabled={set.pending}>
        {t('Save tiers', 'ランクを保存')}
      </button>
      <ErrorNote error={set.error} />
    </form>
  );
}

/** ADMIN: the policy's bonuses and windows; fields left as they are stay unchanged (remounted when the policy changes). */
export function PolicyForm({ policy, onDone }: { policy: { pendingDays: number; onlinePendingDays: number; lotValidityDays: number; signupBonusPoints: number; birthdayBonusPoints: number }; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const set = useMutation(SetPolicy);
  const [values, setValues] = useState(() => Object.fromEntries(Object.entries(policy).map(([key, value]) => [key, String(value)])) as Record<keyof typeof policy, string>);
  const labels: Record<keyof typeof policy, string> = {
    pendingDays: t('Pending days (stores)', '仮付与日数（店舗）'),
    onlinePendingDays: t('Pending days (online)', '仮付与日数（オンライン）'),
    lotValidityDays: t('Points valid for days', 'ポイント有効日数'),
    signupBonusPoints: t('Sign-up bonus', '入会ボーナス'),
    birthdayBonusPoints: t('Birthday bonus', '誕生日ボーナス'),
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    // only what staff changed (an emptied field changes nothing), so another administrator's change to the rest stays
    const changed = Object.fromEntries(
      Object.entries(values)
        .filter(([key, value]) => value.trim() !== '' && Number(value) !== policy[key as keyof typeof policy])
        .map(([key, value]) => [key, Number(value)]),
    );
    if (Object.keys(changed).length && (await set.run({ input: changed }))) await onDone();
  };
  return (
    <form className="row" onSubmit={(e) => void submit(e)} aria-label={t('Policy', 'ポリシー')}>
      {(Object.keys(labels) as (keyof typeof policy)[]).map((key) => (
        <Field key={key} label={labels[key]}>
          <input type="number" className="short" required min={0} value={values[key]} onChange={(e) => setValues({ ...values, [key]: e.target.value })} />
        </Field>
      ))}
      <button type="submit" disabled={set.pending}>
        {t('Save policy', 'ポリシーを保存')}
      </button>
      <ErrorNote error={set.error} />
    </form>
  );
}
