import { useMemo, useState } from 'react';
import { BarChart } from '../chart';
import { downloadCsv } from '../csv';
import { graphql } from '../gql';
import { useQuery } from '../hooks';
import { useI18n } from '../i18n';
import { ErrorNote, Field, Loading, Section } from '../ui';
import { StoresQuery } from './stores';

const Liability = graphql(`
  query ConsolePointsLiability($asOf: DateTime) {
    pointsLiability(asOf: $asOf) {
      asOf
      yenPerPoint
      accounts
      balancePoints
      pendingPoints
      owedPoints
      outstandingPoints
      outstandingYen
      byExpiryMonth {
        month
        points
        yen
      }
    }
  }
`);

const Activity = graphql(`
  query ConsolePointsActivity($from: DateTime!, $to: DateTime!) {
    pointsActivity(from: $from, to: $to) {
      earned
      redeemed
      redemptionRate
      rows {
        month
        storeId
        channel
        earned
        redeemed
        expired
        earnReversed
        redeemReturned
      }
    }
  }
`);

type Report = 'liability' | 'activity';

/** Reports: each a query the owning service computes, a chart where one reads better, and a CSV download. */
export function ReportsPage() {
  const { t } = useI18n();
  const [report, setReport] = useState<Report>('liability');
  const tabs: [Report, string][] = [
    ['liability', t('Points liability', 'ポイント負債')],
    ['activity', t('Points earned / redeemed / expired', 'ポイント付与・利用・失効')],
  ];
  return (
    <>
      <div className="tabs" role="tablist">
        {tabs.map(([id, label]) => (
          <button key={id} type="button" role="tab" aria-selected={report === id} className={report === id ? 'active' : undefined} onClick={() => setReport(id)}>
            {label}
          </button>
        ))}
      </div>
      {report === 'liability' ? <LiabilityReport /> : <ActivityReport />}
    </>
  );
}

/** JST midnight at the start of a yyyy-mm-dd day (or the first of a yyyy-mm month), as an instant. */
function jstStart(day: string): string {
  return new Date(`${day.length === 7 ? `${day}-01` : day}T00:00:00+09:00`).toISOString();
}

function jstEndOfDay(day: string): string {
  return new Date(new Date(jstStart(day)).getTime() + 86_400_000).toISOString();
}

function LiabilityReport() {
  const { t, number, dateTime } = useI18n();
  const [day, setDay] = useState('');
  const [asOf, setAsOf] = useState<string | null>(null);
  const liability = useQuery(Liability, { asOf });
  const report = liability.data?.pointsLiability;
  const chart = useMemo(() => (report ? { labels: report.byExpiryMonth.map((m) => m.month), series: [{ name: t('points', 'ポイント'), values: report.byExpiryMonth.map((m) => m.points) }] } : undefined), [report, t]);
  const download = () => {
    if (!report) return;
    downloadCsv(`points-liability-${report.asOf.slice(0, 10)}.csv`, [
      ['as_of', report.asOf],
      ['yen_per_point', report.yenPerPoint],
      ['accounts', report.accounts],
      ['balance_points', report.balancePoints],
      ['pending_points', report.pendingPoints],
      ['owed_points', report.owedPoints],
      ['outstanding_points', report.outstandingPoints],
      ['outstanding_yen', report.outstandingYen],
      [],
      ['expiry_month', 'points', 'yen'],
      ...report.byExpiryMonth.map((m) => [m.month, m.points, m.yen]),
    ]);
  };
  return (
    <Section
      title={t('Points liability', 'ポイント負債')}
      actions={
        <button type="button" disabled={!report} onClick={download}>
          {t('Download CSV', 'CSVをダウンロード')}
        </button>
      }
    >
      <div className="row">
        <Field label={t('As of the end of (empty: now, Japan time)', '基準日（空欄：現在、日本時間）')}>
          <input type="date" value={day} onChange={(e) => setDay(e.target.value)} />
        </Field>
        <button type="button" onClick={() => setAsOf(day ? jstEndOfDay(day) : null)}>
          {t('Show', '表示')}
        </button>
      </div>
      <Loading when={liability.loading} />
      <ErrorNote error={liability.error} />
      {report && chart ? (
        <>
          <dl className="figures" data-testid="liability">
            <dt>{t('As of', '基準')}</dt>
            <dd>{dateTime(report.asOf)}</dd>
            <dt>{t('Members with points', 'ポイント保有会員')}</dt>
            <dd>{number(report.accounts)}</dd>
            <dt>{t('Balances', '残高合計')}</dt>
            <dd>{number(report.balancePoints)} pt</dd>
            <dt>{t('Pending', '仮付与')}</dt>
            <dd>{number(report.pendingPoints)} pt</dd>
            <dt>{t('Owed by members', '会員の未精算')}</dt>
            <dd>{number(report.owedPoints)} pt</dd>
            <dt>{t('Outstanding', '負債合計')}</dt>
            <dd>
              {number(report.outstandingPoints)} pt = ¥{number(report.outstandingYen)}
            </dd>
          </dl>
          <BarChart label={t('Outstanding points by expiry month', '失効月別の未使用ポイント')} labels={chart.labels} series={chart.series} />
          <table>
            <thead>
              <tr>
                <th>{t('Expires in', '失効月')}</th>
                <th>{t('Points', 'ポイント')}</th>
                <th>{t('Yen', '円')}</th>
              </tr>
            </thead>
            <tbody>
              {report.byExpiryMonth.map((m) => (
                <tr key={m.month}>
                  <td>{m.month}</td>
                  <td className="num">{number(m.points)}</td>
                  <td className="num">¥{number(m.yen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </Section>
  );
}

function monthsAgo(months: number): string {
  const now = new Date(Date.now() + 9 * 3_600_000);
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1));
  return d.toISOString().slice(0, 7);
}

function ActivityReport() {
  const { t, number } = useI18n();
  const [from, setFrom] = useState(monthsAgo(11));
  const [to, setTo] = useState(monthsAgo(0));
  const [period, setPeriod] = useState({ from: jstStart(monthsAgo(11)), to: jstStart(monthsAgo(-1)) });
  const activity = useQuery(Activity, period);
  const stores = useQuery(StoresQuery, {});
  const storeName = (id: string | null | undefined) => (id ? (stores.data?.stores.find((s) => s.id === id)?.name ?? id) : '—');
  const report = activity.data?.pointsActivity;
  const byMonth = useMemo(() => {
    const months = new Map<string, { earned: number; redeemed: number; expired: number }>();
    for (const row of report?.rows ?? []) {
      const m = months.get(row.month) ?? { earned: 0, redeemed: 0, expired: 0 };
      m.earned += row.earned - row.earnReversed;
      m.redeemed += row.redeemed - row.redeemReturned;
      m.expired += row.expired;
      months.set(row.month, m);
    }
    const labels = [...months.keys()];
    return {
      labels,
      series: [
        { name: t('earned', '付与'), values: labels.map((l) => months.get(l)!.earned) },
        { name: t('redeemed', '利用'), values: labels.map((l) => months.get(l)!.redeemed) },
        { name: t('expired', '失効'), values: labels.map((l) => months.get(l)!.expired) },
      ],
    };
  }, [report, t]);
  const show = () => {
    const end = new Date(jstStart(to));
    end.setUTCMonth(end.getUTCMonth() + 1);
    setPeriod({ from: jstStart(from), to: end.toISOString() });
  };
  const download = () => {
    if (!report) return;
    downloadCsv(`points-activity-${from}-${to}.csv`, [
      ['month', 'store_id', 'store', 'channel', 'earned', 'earn_reversed', 'redeemed', 'redeem_returned', 'expired'],
      ...report.rows.map((r) => [r.month, r.storeId, storeName(r.storeId), r.channel, r.earned, r.earnReversed, r.redeemed, r.redeemReturned, r.expired]),
    ]);
  };
  return (
    <Section
      title={t('Points earned, redeemed and expired', 'ポイントの付与・利用・失効')}
      actions={
        <button type="button" disabled={!report} onClick={download}>
          {t('Download CSV', 'CSVをダウンロード')}
        </button>
      }
    >
      <div className="row">
        <Field label={t('From month', '開始月')}>
          <input type="month" value={from} onChange={(e) => setFrom(e.target.value)} />
        </Field>
        <Field label={t('To month', '終了月')}>
          <input type="month" value={to} onChange={(e) => setTo(e.target.value)} />
        </Field>
        <button type="button" onClick={show}>
          {t('Show', '表示')}
        </button>
      </div>
      <Loading when={activity.loading} />
      <ErrorNote error={activity.error} />
      {report ? (
        <>
          <p>
            {t('Earned', '付与')} {number(report.earned)} pt · {t('Redeemed', '利用')} {number(report.redeemed)} pt · {t('Redemption rate', '利用率')}{' '}
            {report.redemptionRate == null ? '—' : `${(report.redemptionRate * 100).toFixed(1)}%`}
          </p>
          <BarChart label={t('Points by month', '月別ポイント')} labels={byMonth.labels} series={byMonth.series} />
          <table>
            <thead>
              <tr>
                <th>{t('Month', '月')}</th>
                <th>{t('Store', '店舗')}</th>
                <th>{t('Channel', 'チャネル')}</th>
                <th>{t('Earned', '付与')}</th>
                <th>{t('Redeemed', '利用')}</th>
                <th>{t('Expired', '失効')}</th>
              </tr>
            </thead>
            <tbody>
              {report.rows.map((r) => (
                <tr key={`${r.month}-${r.storeId ?? ''}-${r.channel ?? ''}`}>
                  <td>{r.month}</td>
                  <td>{storeName(r.storeId)}</td>
                  <td>{r.channel ?? '—'}</td>
                  <td className="num">{number(r.earned - r.earnReversed)}</td>
                  <td className="num">{number(r.redeemed - r.redeemReturned)}</td>
                  <td className="num">{number(r.expired)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </Section>
  );
}
