import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** The console's pages are paths under /console/ (the gateway answers each with the app), kept in the history. */
const BASE = '/console';

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  return () => window.removeEventListener('popstate', listener);
}

/** The page's path within the console, e.g. "/members/abc", and its query string's parameters. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => location.pathname.slice(BASE.length) || '/');
}

export function navigate(to: string): void {
  history.pushState(null, '', BASE + to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function Link({ to, ...props }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={BASE + to} onClick={onClick} {...props} />;
}
