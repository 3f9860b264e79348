import { useState, type FormEvent } from 'react';
import { graphql } from '../gql';
import { useQuery } from '../hooks';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { ErrorNote, Loading, Section } from '../ui';

const ByCode = graphql(`
  query ConsoleMemberByCode($code: String!) {
    memberByCode(code: $code) {
      ...ConsoleMemberRow
    }
  }
`);

const ByContact = graphql(`
  query ConsoleFindMembers($email: String, $phone: String, $namePrefix: String) {
    findMembers(email: $email, phone: $phone, namePrefix: $namePrefix) {
      ...ConsoleMemberRow
    }
  }
`);

graphql(`
  fragment ConsoleMemberRow on Member {
    id
    memberCode
    displayName
    email
    phone
    status
    mergedIntoId
    points {
      balance
      tier
    }
  }
`);

type Kind = 'code' | 'phone' | 'email' | 'name';
interface Search {
  kind: Kind;
  term: string;
}

/** Member search: by card code, phone, e-mail or the start of the name. A merged member leads to who they became. */
export function MembersPage() {
  const { t } = useI18n();
  const [kind, setKind] = useState<Kind>('phone');
  const [term, setTerm] = useState('');
  const [search, setSearch] = useState<Search>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (term.trim()) setSearch({ kind, term: term.trim() });
  };
  const byCode = useQuery(ByCode, { code: search?.term ?? '' }, { skip: search?.kind !== 'code' });
  const contact = search?.kind === 'phone' ? { phone: search.term } : search?.kind === 'email' ? { email: search.term } : search?.kind === 'name' ? { namePrefix: search.term } : {};
  const byContact = useQuery(ByContact, contact, { skip: !search || search.kind === 'code' });
  const state = search?.kind === 'code' ? byCode : byContact;
  const found = search?.kind === 'code' ? (byCode.data?.memberByCode ? [byCode.data.memberByCode] : []) : (byContact.data?.findMembers ?? []);
  const kinds: [Kind, string][] = [
    ['phone', t('Phone', '電話番号')],
    ['email', t('E-mail', 'メールアドレス')],
    ['code', t('Card code', '会員番号')],
    ['name', t('Name starts with', '名前（前方一致）')],
  ];
  return (
    <Section title={t('Find a member', '会員を探す')}>
      <form className="row" onSubmit={submit} role="search">
        <select aria-label={t('Search by', '検索方法')} value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          {kinds.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <input aria-label={t('Search term', '検索語')} value={term} onChange={(e) => setTerm(e.target.value)} />
        <button type="submit">{t('Search', '検索')}</button>
      </form>
      <Loading when={!!search && state.loading} />
      <ErrorNote error={state.error} />
      {search && !state.loading && !state.error ? (
        found.length === 0 ? (
          <p className="muted">{t('No member found.', '該当する会員はいません。')}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>{t('Name', '名前')}</th>
                <th>{t('Card code', '会員番号')}</th>
                <th>{t('Phone', '電話番号')}</th>
                <th>{t('E-mail', 'メールアドレス')}</th>
                <th>{t('Balance', '残高')}</th>
              </tr>
            </thead>
            <tbody>
              {found.map((member) => (
                <tr key={member.id}>
                  <td>
                    <Link to={`/members/${member.mergedIntoId ?? member.id}`}>{member.displayName}</Link>
                    {member.status === 'MERGED' ? <span className="badge">{t('merged: opens the surviving member', '統合済み：統合先を開きます')}</span> : null}
                  </td>
                  <td>{member.memberCode}</td>
                  <td>{member.phone}</td>
                  <td>{member.email}</td>
                  <td>{member.points?.balance ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </Section>
  );
}
