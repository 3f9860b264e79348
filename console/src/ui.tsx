import { Component, useRef, type ReactNode } from 'react';
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

/**
 * The idempotency key of one intended change: the same while the same change is sent again (a resend after a lost
 * answer cannot apply it twice), a new one when what is sent differs or after it succeeded.
 */
export function useIdempotencyKey(): { keyFor: (change: unknown) => string; done: () => void } {
  const current = useRef<{ key: string; change: string }>();
  return {
    keyFor: (change) => {
      const fingerprint = JSON.stringify(change);
      if (current.current?.change !== fingerprint) current.current = { key: crypto.randomUUID(), change: fingerprint };
      return current.current.key;
    },
    done: () => {
      current.current = undefined;
    },
  };
}

/**
 * A page that throws while drawing shows what went wrong instead of blanking the whole console; the rest (navigation,
 * the session) stays. Keyed by the path, so moving to another page starts afresh.
 */
export class PageErrorBoundary extends Component<{ children: ReactNode; message: string }, { error: Error | undefined }> {
  override state: { error: Error | undefined } = { error: undefined };

  static getDerivedStateFromError(error: Error): { error: Error } {
    return { error };
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <p className="error" role="alert">
        {this.props.message} <code className="code">{this.state.error.message}</code>
      </p>
    );
  }
}
