import { useState, type FormEvent } from 'react';
import { graphql } from '../gql';
import type { BenefitKind } from '../gql/graphql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import { ErrorNote, Field } from '../ui';
import { StoresQuery } from './stores';

const CreateReward = graphql(`
  mutation ConsoleCreateReward($input: RewardInput!) {
    createReward(input: $input) {
      id
    }
  }
`);

const SetRewardActive = graphql(`
  mutation ConsoleSetRewardActive($id: ID!, $input: RewardInput!) {
    updateReward(id: $id, input: $input) {
      id
      active
      revision
    }
  }
`);

/** ADMIN: a new reward in the catalogue (a coupon for points): ¥ off, % off or a free item, in stores and/or online. */
export function RewardForm({ onDone }: { onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const stores = useQuery(StoresQuery, {});
  const create = useMutation(CreateReward);
  const [nameJa, setNameJa] = useState('');
  const [nameEn, setNameEn] = useState('');
  const [pointsCost, setPointsCost] = useState('100');
  const [kind, setKind] = useState<BenefitKind>('YEN_OFF');
  const [value, setValue] = useState('100');
  const [storeIds, setStoreIds] = useState<string[]>([]);
  const [online, setOnline] = useState(true);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const benefit = kind === 'YEN_OFF' ? { kind, yenOff: Number(value) } : kind === 'PERCENT_OFF' ? { kind, percentOff: Number(value) } : { kind, sku: value };
    if (await create.run({ input: { nameJa, nameEn: nameEn || nameJa, pointsCost: Number(pointsCost), benefit, storeIds, online } })) {
      setNameJa('');
      setNameEn('');
      await onDone();
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={t('New reward', '新しい特典')}>
      <div className="row">
        <Field label={t('Name (Japanese)', '名前（日本語）')}>
          <input required value={nameJa} onChange={(e) => setNameJa(e.target.value)} />
        </Field>
        <Field label={t('Name (English)', '名前（英語）')}>
          <input value={nameEn} onChange={(e) => setNameEn(e.target.value)} />
        </Field>
        <Field label={t('Points', 'ポイント')}>
          <input type="number" className="short" required min={1} value={pointsCost} onChange={(e) => setPointsCost(e.target.value)} />
        </Field>
        <Field label={t('Benefit', '特典内容')}>
          <select value={kind} onChange={(e) => setKind(e.target.value as BenefitKind)}>
            <option value="YEN_OFF">{t('yen off', '円引き')}</option>
            <option value="PERCENT_OFF">{t('percent off', '％引き')}</option>
            <option value="FREE_ITEM">{t('free item (SKU)', '無料商品（SKU）')}</option>
          </select>
        </Field>
        <Field label={kind === 'FREE_ITEM' ? 'SKU' : kind === 'PERCENT_OFF' ? '%' : '¥'}>
          <input required value={value} onChange={(e) => setValue(e.target.value)} />
        </Field>
      </div>
      <div className="row">
        {stores.data?.stores.map((store) => (
          <label key={store.id} className="inline">
            <input type="checkbox" checked={storeIds.includes(store.id)} onChange={(e) => setStoreIds(e.target.checked ? [...storeIds, store.id] : storeIds.filter((id) => id !== store.id))} />
            {store.name}
          </label>
        ))}
        <label className="inline">
          <input type="checkbox" checked={online} onChange={(e) => setOnline(e.target.checked)} /> {t('online', 'オンライン')}
        </label>
        <button type="submit" disabled={create.pending}>
          {t('Add reward', '特典を追加')}
        </button>
      </div>
      <ErrorNote error={create.error} />
    </form>
  );
}

/** ADMIN: a reward offered or withdrawn (a new revision, in its audit). */
export function RewardActiveSwitch({ id, active, onDone }: { id: string; active: boolean; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const set = useMutation(SetRewardActive);
  return (
    <>
      <button type="button" className="link" disabled={set.pending} onClick={() => void set.run({ id, input: { active: !active } }).then(onDone)}>
        {active ? t('Withdraw', '停止する') : t('Offer again', '再開する')}
      </button>
      <ErrorNote error={set.error} />
    </>
  );
}
