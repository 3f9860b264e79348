import type { ReactNode } from 'react';
import type { GraphQLRequestError } from './client';
import { useI18n } from './i18n';

/** What went wrong, as the gateway said it, with its code (FORBIDDEN, BAD_USER_INPUT, ...). */
export function ErrorNote({ error }: { error: GraphQLRequestError | undefined }) {
  const { t } = useI18n();
  if (!error) return null;
  const forbidden = error.code === 'FORBIDDEN';
  return (
    <p className="error" role="alert">
      {forbidden ? t('Your role may not do this.', 'この操作の権限がありません。') : error.message}
      {error.code ? <code className="code"> {error.code}</code> : null}
    </p>
  );
}

export function Loading({ when }: { when: boolean }) {
  const { t } = useI18n();
  return when ? <p className="muted">{t('Loading…', '読み込み中…')}</p> : null;
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <header className="card-header">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** A fresh idempotency key for one intended change: kept while it is retried, replaced once it succeeded. */
export function newKey(): string {
  return crypto.randomUUID();
}
