import { useState, type FormEvent } from 'react';
import { graphql } from '../gql';
import { useMutation, useQuery } from '../hooks';
import { useI18n } from '../i18n';
import { Link, navigate } from '../router';
import type { Session } from '../session';
import { ErrorNote, Field, Loading, Section, useIdempotencyKey } from '../ui';

const MemberQuery = graphql(`
  query ConsoleMember($id: ID!) {
    member(id: $id) {
      id
      memberCode
      displayName
      email
      phone
      birthday
      status
      mergedIntoId
      registeredVia
      tags
      createdAt
      marketingConsent {
        granted
      }
      card {
        code
        barcodeSvg(format: CODE128)
      }
      lineAccount {
        displayName
        friendStatus
        linkedAt
      }
      merges {
        id
        survivorId
        mergedId
        state
        pointsMoved
        purchasesMoved
        requestedAt
      }
      points {
        balance
        pendingBalance
        lifetimeEarned
        tier
        expiring {
          points
          expiresAt
        }
        history(first: 20) {
          nodes {
            id
            type
            amount
            balanceAfter
            reason
            actor
            storeId
            channel
            createdAt
            expiresAt
          }
        }
      }
      coupons(first: 10) {
        id
        code
        state
        pointsCost
        expiresAt
        name {
          ja
          en
        }
      }
      purchaseSummary {
        count
        totalSpent
        storeCount
        onlineCount
      }
      purchases(first: 10) {
        nodes {
          id
          occurredAt
          channel
          amountPaid
          pointsEarned
          pointsRedeemed
          status
          store {
            name
          }
        }
      }
    }
  }
`);

const AdjustPoints = graphql(`
  mutation ConsoleAdjustPoints($memberId: ID!, $amount: Int!, $reason: String!, $idempotencyKey: String!) {
    adjustPoints(memberId: $memberId, amount: $amount, reason: $reason, idempotencyKey: $idempotencyKey) {
      account {
        balance
      }
    }
  }
`);

const MergeCandidate = graphql(`
  query ConsoleMergeCandidate($code: String!) {
    memberByCode(code: $code) {
      id
      memberCode
      displayName
      status
      points {
        balance
        pendingBalance
      }
      purchaseSummary {
        count
      }
      lineAccount {
        displayName
      }
    }
  }
`);

const MergeMembers = graphql(`
  mutation ConsoleMergeMembers($survivorId: ID!, $mergedId: ID!) {
    mergeMembers(survivorId: $survivorId, mergedId: $mergedId) {
      id
    }
  }
`);

/** A member: profile, card, points and their expiry, history, purchases across channels, LINE, merges. */
export function MemberPage({ id, session }: { id: string; session: Session }) {
  const { t, number, dateTime, language } = useI18n();
  // a merge runs in steps after it was asked for: the page follows it until it completed or was refused
  const { data, error, loading, refetch } = useQuery(MemberQuery, { id }, { pollMs: 1000, poll: (d) => !!d.member?.merges.some((m) => m.state === 'PENDING' || m.state === 'IN_PROGRESS') });
  const member = data?.member;
  if (member?.status === 'MERGED' && member.mergedIntoId) {
    return (
      <Section title={member.displayName}>
        <p>
          {t('This member was merged into another.', 'この会員は統合されました。')}{' '}
          <Link to={`/members/${member.mergedIntoId}`}>{t('Open the surviving member', '統合先の会員を開く')}</Link>
        </p>
      </Section>
    );
  }
  return (
    <>
      <Loading when={loading && !data} />
      <ErrorNote error={error} />
      {data && !member ? <p>{t('No member with this id.', 'この会員は見つかりません。')}</p> : null}
      {member ? (
        <>
          <Section title={member.displayName}>
            <div className="grid">
              <dl>
                <dt>{t('Card code', '会員番号')}</dt>
                <dd>{member.memberCode}</dd>
                <dt>{t('Phone', '電話番号')}</dt>
                <dd>{member.phone ?? '—'}</dd>
                <dt>{t('E-mail', 'メールアドレス')}</dt>
                <dd>{member.email ?? '—'}</dd>
                <dt>{t('Birthday', '誕生日')}</dt>
                <dd>{member.birthday ?? '—'}</dd>
                <dt>{t('Registered', '登録')}</dt>
                <dd>
                  {dateTime(member.createdAt)} ({member.registeredVia})
                </dd>
                <dt>{t('Status', '状態')}</dt>
                <dd>{member.status}</dd>
                <dt>{t('Marketing consent', '配信同意')}</dt>
                <dd>{member.marketingConsent?.granted ? t('yes', 'あり') : t('no', 'なし')}</dd>
                <dt>LINE</dt>
                <dd>{member.lineAccount ? `${member.lineAccount.displayName ?? ''} (${member.lineAccount.friendStatus})` : t('not linked', '未連携')}</dd>
                <dt>{t('Tags', 'タグ')}</dt>
                <dd>{member.tags.join(', ') || '—'}</dd>
              </dl>
              <img className="barcode" alt={member.card.code} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(member.card.barcodeSvg)}`} />
            </div>
          </Section>
          <Section title={t('Points', 'ポイント')}>
            <dl className="figures">
              <dt>{t('Balance', '残高')}</dt>
              <dd data-testid="balance">{number(member.points?.balance ?? 0)}</dd>
              <dt>{t('Pending', '仮付与')}</dt>
              <dd>{number(member.points?.pendingBalance ?? 0)}</dd>
              <dt>{t('Earned in total', '累計獲得')}</dt>
              <dd>{number(member.points?.lifetimeEarned ?? 0)}</dd>
              <dt>{t('Tier', 'ランク')}</dt>
              <dd>{member.points?.tier}</dd>
            </dl>
            <h3>{t('Expiring', '有効期限')}</h3>
            {member.points?.expiring.length ? (
              <ul>
                {member.points.expiring.map((lot) => (
                  <li key={lot.expiresAt}>
                    {number(lot.points)} pt — {dateTime(lot.expiresAt)}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">—</p>
            )}
            <AdjustForm key={member.id} memberId={member.id} onDone={refetch} />
            <h3>{t('History', '履歴')}</h3>
            <table data-testid="history">
              <thead>
                <tr>
                  <th>{t('When', '日時')}</th>
                  <th>{t('Type', '種別')}</th>
                  <th>{t('Points', 'ポイント')}</th>
                  <th>{t('Balance after', '残高')}</th>
                  <th>{t('Reason', '理由')}</th>
                </tr>
              </thead>
              <tbody>
                {member.points?.history.nodes.map((entry) => (
                  <tr key={entry.id}>
                    <td>{dateTime(entry.createdAt)}</td>
                    <td>{entry.type}</td>
                    <td className="num">{entry.amount > 0 ? `+${number(entry.amount)}` : number(entry.amount)}</td>
                    <td className="num">{number(entry.balanceAfter)}</td>
                    <td>{entry.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section title={t('Coupons', 'クーポン')}>
            {member.coupons.length ? (
              <table>
                <tbody>
                  {member.coupons.map((coupon) => (
                    <tr key={coupon.id}>
                      <td>{language === 'ja' ? coupon.name.ja : coupon.name.en}</td>
                      <td>{coupon.code}</td>
                      <td>{coupon.state}</td>
                      <td className="num">{coupon.pointsCost} pt</td>
                      <td>{dateTime(coupon.expiresAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="muted">—</p>
            )}
          </Section>
          <Section title={t('Purchases', '購入履歴')}>
            {member.purchaseSummary ? (
              <p>
                {t('In stores', '店舗')}: {member.purchaseSummary.storeCount} · {t('Online', 'オンライン')}: {member.purchaseSummary.onlineCount} · {t('Spent', '購入金額')}: ¥
                {number(member.purchaseSummary.totalSpent)}
              </p>
            ) : null}
            <table>
              <thead>
                <tr>
                  <th>{t('When', '日時')}</th>
                  <th>{t('Store', '店舗')}</th>
                  <th>{t('Channel', 'チャネル')}</th>
                  <th>{t('Paid', '支払額')}</th>
                  <th>{t('Points', 'ポイント')}</th>
                  <th>{t('Status', '状態')}</th>
                </tr>
              </thead>
              <tbody>
                {member.purchases?.nodes.map((purchase) => (
                  <tr key={purchase.id}>
                    <td>{dateTime(purchase.occurredAt)}</td>
                    <td>{purchase.store.name}</td>
                    <td>{purchase.channel}</td>
                    <td className="num">¥{number(purchase.amountPaid)}</td>
                    <td className="num">
                      +{purchase.pointsEarned ?? 0} / −{purchase.pointsRedeemed ?? 0}
                    </td>
                    <td>{purchase.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section title={t('Merges', '統合')}>
            {member.merges.length ? (
              <ul>
                {member.merges.map((merge) => (
                  <li key={merge.id}>
                    {merge.mergedId === member.id ? t('merged into', '統合先') : t('absorbed', '統合元')} {merge.mergedId === member.id ? merge.survivorId : merge.mergedId} — {merge.state}
                    {merge.pointsMoved != null ? ` (${merge.pointsMoved} pt, ${merge.purchasesMoved ?? 0} ${t('purchases', '件')})` : ''}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">—</p>
            )}
            {session.role === 'ADMIN' ? <MergeForm key={member.id} survivorId={member.id} onDone={refetch} /> : null}
          </Section>
        </>
      ) : null}
    </>
  );
}

function AdjustForm({ memberId, onDone }: { memberId: string; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const adjust = useMutation(AdjustPoints);
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  // one key per intended adjustment: a resend after a lost answer cannot add the points twice
  const idempotency = useIdempotencyKey();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const change = { memberId, amount: Number(amount), reason };
    const done = await adjust.run({ ...change, idempotencyKey: idempotency.keyFor(change) });
    if (!done) return;
    idempotency.done();
    setAmount('');
    setReason('');
    await onDone();
  };
  return (
    <form className="row" onSubmit={(e) => void submit(e)} aria-label={t('Adjust points', 'ポイント調整')}>
      <Field label={t('Points (+ or −)', 'ポイント（＋／−）')}>
        <input type="number" required value={amount} onChange={(e) => setAmount(e.target.value)} />
      </Field>
      <Field label={t('Reason (shown to the member)', '理由（会員に表示されます）')}>
        <input required value={reason} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <button type="submit" disabled={adjust.pending}>
        {t('Adjust points', 'ポイントを調整')}
      </button>
      <ErrorNote error={adjust.error} />
    </form>
  );
}

function MergeForm({ survivorId, onDone }: { survivorId: string; onDone: () => Promise<void> }) {
  const { t, number } = useI18n();
  const [code, setCode] = useState('');
  const [lookup, setLookup] = useState<string>();
  const candidate = useQuery(MergeCandidate, { code: lookup ?? '' }, { skip: !lookup });
  const merge = useMutation(MergeMembers);
  const other = lookup ? candidate.data?.memberByCode : undefined;
  const confirm = async () => {
    if (!other) return;
    if (await merge.run({ survivorId, mergedId: other.id })) {
      setLookup(undefined);
      setCode('');
      await onDone();
      navigate(`/members/${survivorId}`);
    }
  };
  return (
    <div className="merge">
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setLookup(code.trim());
        }}
      >
        <Field label={t('Merge a duplicate into this member: its card code', 'この会員に統合する重複会員の会員番号')}>
          <input value={code} onChange={(e) => setCode(e.target.value)} />
        </Field>
        <button type="submit">{t('Preview', 'プレビュー')}</button>
      </form>
      <ErrorNote error={candidate.error ?? merge.error} />
      {other ? (
        other.id === survivorId ? (
          <p className="error">{t('That is this member.', 'この会員自身です。')}</p>
        ) : (
          <div className="preview" data-testid="merge-preview">
            <p>
              {t('Moves to this member', 'この会員に移るもの')}: {other.displayName} ({other.memberCode}) — {number(other.points?.balance ?? 0)} pt, {number(other.points?.pendingBalance ?? 0)}{' '}
              {t('pending', '仮付与')} pt, {other.purchaseSummary?.count ?? 0} {t('purchases', '件の購入')}
              {other.lineAccount ? `, LINE ${other.lineAccount.displayName ?? ''}` : ''}. {t('Its card then leads here.', '統合後、その会員番号はこの会員を指します。')}
            </p>
            <button type="button" className="danger" disabled={merge.pending} onClick={() => void confirm()}>
              {t('Merge', '統合する')}
            </button>
          </div>
        )
      ) : lookup && candidate.data && !candidate.data.memberByCode ? (
        <p className="muted">{t('No member found.', '該当する会員はいません。')}</p>
      ) : null}
    </div>
  );
}
