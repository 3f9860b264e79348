import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import { completeSignIn, devSignIn, signIn, signInOptions, startSignIn, type SignInOptions, type StaffRole } from '../session';

/**
 * Sign-in: with the retailer's staff identity provider when the gateway has one (STAFF_OIDC_*); under `npm start`
 * the development sign-in as STAFF or ADMIN; everywhere, a staff token pasted (docs/console.md).
 */
export function SignInPage({ languageSwitch }: { languageSwitch: ReactNode }) {
  const { t } = useI18n();
  const [options, setOptions] = useState<SignInOptions>({ devSignIn: false, oidc: null });
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    // back from the identity provider: finish that sign-in first
    void completeSignIn().catch((error: unknown) => setProblem(error instanceof Error ? error.message : String(error)));
    void signInOptions().then(setOptions);
  }, []);
  const offered = options.devSignIn;
  const oidc = options.oidc;
  const asRole = (role: StaffRole) => void devSignIn(role).catch((error: unknown) => setProblem(String(error)));
  const withToken = (event: FormEvent) => {
    event.preventDefault();
    if (!signIn(token)) setProblem(t('This is not a valid staff token (or it has expired).', 'スタッフ用のトークンではないか、期限切れです。'));
  };
  return (
    <main className="sign-in">
      <h1>{t('OMO loyalty console', 'OMOポイント 管理コンソール')}</h1>
      {oidc && 'authorizationEndpoint' in oidc ? (
        <section className="card">
          <button type="button" onClick={() => void startSignIn(oidc)}>
            {t('Sign in with your staff account', 'スタッフアカウントでサインイン')}
          </button>
        </section>
      ) : oidc ? (
        <p className="error" role="alert">
          {t('The staff identity provider cannot be reached now.', 'スタッフ用IDプロバイダーに接続できません。')} {oidc.error}
        </p>
      ) : null}
      {offered ? (
        <section className="card">
          <h2>{t('Development sign-in', '開発用サインイン')}</h2>
          <p className="muted">{t('Offered by npm start only; production refuses it.', 'npm start のときだけ使えます。本番環境では使えません。')}</p>
          <div className="row">
            <button type="button" onClick={() => asRole('STAFF')}>
              {t('Sign in as STAFF', 'STAFF としてサインイン')}
            </button>
            <button type="button" onClick={() => asRole('ADMIN')}>
              {t('Sign in as ADMIN', 'ADMIN としてサインイン')}
            </button>
          </div>
        </section>
      ) : null}
      <form className="card" onSubmit={withToken}>
        <h2>{t('Sign in with a staff token', 'スタッフトークンでサインイン')}</h2>
        <label className="field">
          <span>{t('Bearer token from your identity provider', 'IDプロバイダーが発行したトークン')}</span>
          <textarea value={token} onChange={(e) => setToken(e.target.value)} rows={3} />
        </label>
        <button type="submit">{t('Sign in', 'サインイン')}</button>
      </form>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      <p>{languageSwitch}</p>
    </main>
  );
}
