import { useState, type FormEvent } from 'react';
import { graphql } from '../gql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import type { Session } from '../session';
import { ErrorNote, Field, Loading, Section } from '../ui';
import { StoresQuery } from './stores';

const ApiKeys = graphql(`
  query ConsoleApiKeys {
    apiKeys {
      id
      label
      createdAt
      lastUsedAt
      revokedAt
      stores {
        id
        name
      }
    }
  }
`);

const CreateApiKey = graphql(`
  mutation ConsoleCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      key
      apiKey {
        id
        label
      }
    }
  }
`);

const RevokeApiKey = graphql(`
  mutation ConsoleRevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
      revokedAt
    }
  }
`);

/** POS keys (ADMIN): create one for some stores (its key is shown once), see when each was used, revoke. */
export function ApiKeysPage({ session }: { session: Session }) {
  const { t, dateTime } = useI18n();
  const keys = useQuery(ApiKeys, {}, { skip: session.role !== 'ADMIN' });
  const stores = useQuery(StoresQuery, {});
  const create = useMutation(CreateApiKey);
  const revoke = useMutation(RevokeApiKey);
  const [label, setLabel] = useState('');
  const [storeIds, setStoreIds] = useState<string[]>([]);
  if (session.role !== 'ADMIN') return <p className="error">{t('POS keys are managed by ADMIN staff.', 'POSキーは ADMIN が管理します。')}</p>;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await create.run({ input: { label, storeIds } })) {
      setLabel('');
      setStoreIds([]);
      await keys.refetch();
    }
  };
  return (
    <>
      <Section title={t('New POS key', 'POSキーを発行')}>
        <form onSubmit={(e) => void submit(e)}>
          <Field label={t('Label (e.g. the register)', 'ラベル（例：レジ名）')}>
            <input required value={label} onChange={(e) => setLabel(e.target.value)} />
          </Field>
          <fieldset>
            <legend>{t('Stores it may act for', '利用できる店舗')}</legend>
            {stores.data?.stores.map((store) => (
              <label key={store.id} className="inline">
                <input
                  type="checkbox"
                  checked={storeIds.includes(store.id)}
                  onChange={(e) => setStoreIds(e.target.checked ? [...storeIds, store.id] : storeIds.filter((id) => id !== store.id))}
                />
                {store.name}
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={create.pending || !storeIds.length}>
            {t('Create key', '発行する')}
          </button>
        </form>
        <ErrorNote error={create.error} />
        {create.result ? (
          <div className="notice" data-testid="new-key">
            <p>{t('The key, shown this once: give it to the register now.', 'キーは一度だけ表示されます。今すぐレジに設定してください。')}</p>
            <code className="secret">{create.result.createApiKey.key}</code>
          </div>
        ) : null}
      </Section>
      <Section title={t('POS keys', 'POSキー')}>
        <Loading when={keys.loading && !keys.data} />
        <ErrorNote error={keys.error ?? revoke.error} />
        <table>
          <thead>
            <tr>
              <th>{t('Label', 'ラベル')}</th>
              <th>{t('Stores', '店舗')}</th>
              <th>{t('Created', '発行')}</th>
              <th>{t('Last used', '最終利用')}</th>
              <th>{t('State', '状態')}</th>
            </tr>
          </thead>
          <tbody>
            {keys.data?.apiKeys.map((key) => (
              <tr key={key.id} data-testid="api-key">
                <td>{key.label}</td>
                <td>{key.stores.map((store) => store.name).join(', ')}</td>
                <td>{dateTime(key.createdAt)}</td>
                <td>{key.lastUsedAt ? dateTime(key.lastUsedAt) : '—'}</td>
                <td>
                  {key.revokedAt ? (
                    `${t('revoked', '失効')} ${dateTime(key.revokedAt)}`
                  ) : (
                    <button type="button" className="danger" onClick={() => void revoke.run({ id: key.id }).then(() => keys.refetch())}>
                      {t('Revoke', '失効させる')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
