import { useState, type FormEvent } from 'react';
import { graphql } from '../gql';
import type { StoreKind } from '../gql/graphql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import type { Session } from '../session';
import { ErrorNote, Field, Loading, Section } from '../ui';

export const StoresQuery = graphql(`
  query ConsoleStores {
    stores {
      id
      code
      name
      kind
      prefecture
      city
      shopifyShopDomain
    }
  }
`);

const CreateStore = graphql(`
  mutation ConsoleCreateStore($input: CreateStoreInput!) {
    createStore(input: $input) {
      id
    }
  }
`);

/** Stores and online shops; ADMIN adds one. */
export function StoresPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const stores = useQuery(StoresQuery, {});
  const create = useMutation(CreateStore);
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [kind, setKind] = useState<StoreKind>('PHYSICAL');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await create.run({ input: { code, name, kind } })) {
      setCode('');
      setName('');
      await stores.refetch();
    }
  };
  return (
    <Section title={t('Stores', '店舗')}>
      <Loading when={stores.loading && !stores.data} />
      <ErrorNote error={stores.error} />
      <table>
        <thead>
          <tr>
            <th>{t('Code', 'コード')}</th>
            <th>{t('Name', '名前')}</th>
            <th>{t('Kind', '種類')}</th>
            <th>{t('Where', '所在地')}</th>
          </tr>
        </thead>
        <tbody>
          {stores.data?.stores.map((store) => (
            <tr key={store.id}>
              <td>{store.code}</td>
              <td>{store.name}</td>
              <td>{store.kind}</td>
              <td>{store.shopifyShopDomain ?? [store.prefecture, store.city].filter(Boolean).join(' ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {session.role === 'ADMIN' ? (
        <form className="row" onSubmit={(e) => void submit(e)} aria-label={t('Add a store', '店舗を追加')}>
          <Field label={t('Code', 'コード')}>
            <input required value={code} onChange={(e) => setCode(e.target.value)} />
          </Field>
          <Field label={t('Name', '名前')}>
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label={t('Kind', '種類')}>
            <select value={kind} onChange={(e) => setKind(e.target.value as StoreKind)}>
              <option value="PHYSICAL">PHYSICAL</option>
              <option value="ONLINE">ONLINE</option>
              <option value="POPUP">POPUP</option>
            </select>
          </Field>
          <button type="submit" disabled={create.pending}>
            {t('Add store', '店舗を追加')}
          </button>
          <ErrorNote error={create.error} />
        </form>
      ) : null}
    </Section>
  );
}
