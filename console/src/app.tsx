import { useI18n } from './i18n';
import { Link, usePath } from './router';
import { signOut, useSession, type Session } from './session';
import { PageErrorBoundary } from './ui';
import { ApiKeysPage } from './pages/api-keys';
import { CampaignsPage } from './pages/campaigns';
import { MemberPage } from './pages/member';
import { MembersPage } from './pages/members';
import { MessagesPage } from './pages/messages';
import { NotificationRulesPage } from './pages/notification-rules';
import { ReportsPage } from './pages/reports';
import { SegmentsPage } from './pages/segments';
import { SignInPage } from './pages/sign-in';
import { StoresPage } from './pages/stores';

interface Page {
  path: string;
  en: string;
  ja: string;
  adminOnly?: boolean;
}

/** The navigation: what a STAFF member may not use (POS keys) is not offered to them. */
const PAGES: Page[] = [
  { path: '/members', en: 'Members', ja: '会員' },
  { path: '/segments', en: 'Segments', ja: 'セグメント' },
  { path: '/messages', en: 'Messages', ja: 'メッセージ' },
  { path: '/campaigns', en: 'Campaigns & rules', ja: 'キャンペーン・ルール' },
  { path: '/stores', en: 'Stores', ja: '店舗' },
  { path: '/api-keys', en: 'POS keys', ja: 'POSキー', adminOnly: true },
  { path: '/notifications', en: 'Notifications', ja: '自動通知' },
  { path: '/reports', en: 'Reports', ja: 'レポート' },
];

function Content({ path, session }: { path: string; session: Session }) {
  const member = /^\/members\/([^/]+)$/.exec(path);
  if (member) return <MemberPage id={decodeURIComponent(member[1]!)} session={session} />;
  if (path.startsWith('/segments')) return <SegmentsPage />;
  if (path.startsWith('/messages')) return <MessagesPage />;
  if (path.startsWith('/campaigns')) return <CampaignsPage session={session} />;
  if (path.startsWith('/stores')) return <StoresPage session={session} />;
  if (path.startsWith('/api-keys')) return <ApiKeysPage session={session} />;
  if (path.startsWith('/notifications')) return <NotificationRulesPage session={session} />;
  if (path.startsWith('/reports')) return <ReportsPage />;
  return <MembersPage />;
}

export function App() {
  const session = useSession();
  const path = usePath();
  const { t, language, setLanguage } = useI18n();
  const languageSwitch = (
    <button type="button" className="link" onClick={() => setLanguage(language === 'ja' ? 'en' : 'ja')}>
      {language === 'ja' ? 'English' : '日本語'}
    </button>
  );
  if (!session) return <SignInPage languageSwitch={languageSwitch} />;
  return (
    <div className="layout">
      <nav className="sidebar" aria-label={t('Console', 'コンソール')}>
        <div className="brand">{t('OMO loyalty', 'OMOポイント')}</div>
        {PAGES.filter((page) => !page.adminOnly || session.role === 'ADMIN').map((page) => (
          <Link key={page.path} to={page.path} className={path.startsWith(page.path) ? 'active' : undefined}>
            {t(page.en, page.ja)}
          </Link>
        ))}
        <div className="who">
          <span>
            {session.subject} <strong className="role">{session.role}</strong>
          </span>
          {languageSwitch}
          <button type="button" className="link" onClick={signOut}>
            {t('Sign out', 'サインアウト')}
          </button>
        </div>
      </nav>
      <main>
        <PageErrorBoundary key={path} message={t('This page could not be shown.', 'このページを表示できませんでした。')}>
          <Content path={path} session={session} />
        </PageErrorBoundary>
      </main>
    </div>
  );
}
