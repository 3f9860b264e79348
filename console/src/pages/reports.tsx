import { useMemo, useState } from 'react';
import { BarChart } from '../chart';
import { downloadCsv } from '../csv';
import { graphql } from '../gql';
import { useQuery } from '../hooks';
import { isDay, isMonth, jstEndOfDayOrNow, monthRange, monthsAgo } from '../jst';
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

const ByChannel = graphql(`
  query ConsoleMembersByChannel($from: DateTime!, $to: DateTime!) {
    membersByChannel(from: $from, to: $to) {
      storeOnly
      onlineOnly
      both
      rows {
        month
        storeOnly
        onlineOnly
        both
      }
    }
  }
`);

const CampaignList = graphql(`
  query ConsoleCampaignList {
    campaigns(all: true) {
      id
      name
      startsAt
      endsAt
    }
  }
`);

const CampaignResults = graphql(`
  query ConsoleCampaignResults($id: ID!) {
    campaign(id: $id) {
      id
      name
      purchaseResults {
        during {
          from
          to
          purchases
          sales
          members
        }
        before {
          from
          to
          purchases
          sales
          members
        }
        purchasesChange
        salesChange
        membersChange
      }
      pointResults {
        during {
          earned
        }
        before {
          earned
        }
        earnedChange
        campaignPurchases
        pointsOnCampaignPurchases
      }
    }
  }
`);

type Report = 'liability' | 'activity' | 'channels' | 'campaign';

/** Reports: each a query the owning service computes, a chart where one reads better, and a CSV download. */
export function ReportsPage() {
  const { t } = useI18n();
  const [report, setReport] = useState<Report>('liability');
  const tabs: [Report, string][] = [
    ['liability', t('Points liability', 'ポイント負債')],
    ['activity', t('Points earned / redeemed / expired', 'ポイント付与・利用・失効')],
    ['channels', t('Members by channel', 'チャネル別会員')],
    ['campaign', t('Campaign results', 'キャンペーン効果')],
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
      {report === 'liability' ? <LiabilityReport /> : report === 'activity' ? <ActivityReport /> : report === 'channels' ? <ChannelReport /> : <CampaignReport />}
    </>
  );
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
        <button type="button" onClick={() => setAsOf(isDay(day) ? jstEndOfDayOrNow(day) : null)}>
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

function ActivityReport() {
  const { t, number } = useI18n();
  const range = usePeriod();
  const { from, to } = range;
  const activity = useQuery(Activity, range.period);
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
      <MonthRange range={range} />
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

/** The months [from, to] picked as JST month starts: the period from the first's start to the end of the last. */
function usePeriod(): { from: string; to: string; setFrom: (m: string) => void; setTo: (m: string) => void; period: { from: string; to: string }; apply: () => void; invalid: boolean } {
  const [from, setFrom] = useState(monthsAgo(11));
  const [to, setTo] = useState(monthsAgo(0));
  const [period, setPeriod] = useState(() => monthRange(monthsAgo(11), monthsAgo(0)));
  const [invalid, setInvalid] = useState(false);
  const apply = () => {
    const ok = isMonth(from) && isMonth(to) && from <= to;
    setInvalid(!ok);
    if (ok) setPeriod(monthRange(from, to));
  };
  return { from, to, setFrom, setTo, period, apply, invalid };
}

function MonthRange({ range }: { range: ReturnType<typeof usePeriod> }) {
  const { t } = useI18n();
  return (
    <div className="row">
      <Field label={t('From month', '開始月')}>
        <input type="month" value={range.from} onChange={(e) => range.setFrom(e.target.value)} />
      </Field>
      <Field label={t('To month', '終了月')}>
        <input type="month" value={range.to} onChange={(e) => range.setTo(e.target.value)} />
      </Field>
      <button type="button" onClick={range.apply}>
        {t('Show', '表示')}
      </button>
      {range.invalid ? (
        <span className="error" role="alert">
          {t('Give two months as 2026-04, the first not after the last.', '開始月と終了月を 2026-04 の形で、開始が終了より後にならないように入力してください。')}
        </span>
      ) : null}
    </div>
  );
}

function ChannelReport() {
  const { t, number } = useI18n();
  const range = usePeriod();
  const byChannel = useQuery(ByChannel, range.period);
  const report = byChannel.data?.membersByChannel;
  const chart = useMemo(
    () =>
      report
        ? {
            labels: report.rows.map((r) => r.month),
            series: [
              { name: t('stores only', '店舗のみ'), values: report.rows.map((r) => r.storeOnly) },
              { name: t('online only', 'オンラインのみ'), values: report.rows.map((r) => r.onlineOnly) },
              { name: t('both', '両方'), values: report.rows.map((r) => r.both) },
            ],
          }
        : undefined,
    [report, t],
  );
  const download = () => {
    if (!report) return;
    downloadCsv(`members-by-channel-${range.from}-${range.to}.csv`, [
      ['month', 'store_only', 'online_only', 'both'],
      ...report.rows.map((r) => [r.month, r.storeOnly, r.onlineOnly, r.both]),
      ['period', report.storeOnly, report.onlineOnly, report.both],
    ]);
  };
  return (
    <Section
      title={t('Members by channel: who bought in stores, online, or both', 'チャネル別会員：店舗・オンライン・両方')}
      actions={
        <button type="button" disabled={!report} onClick={download}>
          {t('Download CSV', 'CSVをダウンロード')}
        </button>
      }
    >
      <MonthRange range={range} />
      <Loading when={byChannel.loading} />
      <ErrorNote error={byChannel.error} />
      {report && chart ? (
        <>
          <p data-testid="channel-totals">
            {t('Over the period', '期間全体')}: {t('stores only', '店舗のみ')} {number(report.storeOnly)} · {t('online only', 'オンラインのみ')} {number(report.onlineOnly)} · {t('both', '両方')}{' '}
            {number(report.both)}
          </p>
          <BarChart label={t('Members by channel per month', '月別・チャネル別の購入会員')} labels={chart.labels} series={chart.series} stacked />
        </>
      ) : null}
    </Section>
  );
}

function CampaignReport() {
  const { t, number, dateTime } = useI18n();
  const list = useQuery(CampaignList, {});
  const [id, setId] = useState('');
  const results = useQuery(CampaignResults, { id }, { skip: !id });
  const campaign = id ? results.data?.campaign : undefined;
  const change = (ratio: number | null | undefined) => (ratio == null ? '—' : `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`);
  const rows = campaign
    ? [
        [t('Purchases', '購入件数'), campaign.purchaseResults.before.purchases, campaign.purchaseResults.during.purchases, change(campaign.purchaseResults.purchasesChange)],
        [t('Sales (yen)', '売上（円）'), campaign.purchaseResults.before.sales, campaign.purchaseResults.during.sales, change(campaign.purchaseResults.salesChange)],
        [t('Members who bought', '購入会員数'), campaign.purchaseResults.before.members, campaign.purchaseResults.during.members, change(campaign.purchaseResults.membersChange)],
        [t('Points earned', '付与ポイント'), campaign.pointResults.before.earned, campaign.pointResults.during.earned, change(campaign.pointResults.earnedChange)],
      ]
    : [];
  const download = () => {
    if (!campaign) return;
    downloadCsv(`campaign-${campaign.id}.csv`, [
      ['figure', 'before', 'during', 'change'],
      ...rows,
      ['purchases_the_campaign_applied_to', '', campaign.pointResults.campaignPurchases, ''],
      ['points_on_those_purchases', '', campaign.pointResults.pointsOnCampaignPurchases, ''],
    ]);
  };
  return (
    <Section
      title={t('A campaign against the same length of time before it', 'キャンペーン期間と直前の同じ長さの期間の比較')}
      actions={
        <button type="button" disabled={!campaign} onClick={download}>
          {t('Download CSV', 'CSVをダウンロード')}
        </button>
      }
    >
      <Field label={t('Campaign', 'キャンペーン')}>
        <select value={id} onChange={(e) => setId(e.target.value)}>
          <option value="">{t('Choose a campaign…', 'キャンペーンを選択…')}</option>
          {list.data?.campaigns.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({dateTime(c.startsAt)} – {dateTime(c.endsAt)})
            </option>
          ))}
        </select>
      </Field>
      <Loading when={!!id && results.loading} />
      <ErrorNote error={list.error ?? results.error} />
      {campaign ? (
        <>
          <p className="muted">
            {t('Before', '直前')}: {dateTime(campaign.purchaseResults.before.from)} – {dateTime(campaign.purchaseResults.before.to)} · {t('During', '期間中')}:{' '}
            {dateTime(campaign.purchaseResults.during.from)} – {dateTime(campaign.purchaseResults.during.to)}
          </p>
          <table data-testid="campaign-results">
            <thead>
              <tr>
                <th />
                <th>{t('Before', '直前')}</th>
                <th>{t('During', '期間中')}</th>
                <th>{t('Change', '増減')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(([label, before, during, delta]) => (
                <tr key={String(label)}>
                  <td>{label}</td>
                  <td className="num">{number(Number(before))}</td>
                  <td className="num">{number(Number(during))}</td>
                  <td className="num">{delta}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            {t('Purchases the campaign applied to', 'キャンペーンが適用された購入')}: {number(campaign.pointResults.campaignPurchases)} · {t('points they earned', 'その付与ポイント')}{' '}
            {number(campaign.pointResults.pointsOnCampaignPurchases)}
          </p>
          <BarChart
            label={t('Before and during the campaign', 'キャンペーン前後')}
            labels={[t('Purchases', '購入件数'), t('Members who bought', '購入会員数')]}
            series={[
              { name: t('before', '直前'), values: [campaign.purchaseResults.before.purchases, campaign.purchaseResults.before.members] },
              { name: t('during', '期間中'), values: [campaign.purchaseResults.during.purchases, campaign.purchaseResults.during.members] },
            ]}
          />
        </>
      ) : null}
    </Section>
  );
}
