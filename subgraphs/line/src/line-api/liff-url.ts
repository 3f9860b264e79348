import type { AppConfig } from '@omo/lib/core/config';

/**
 * The LIFF member page as LINE opens it (inside LINE, or LINE Login in another browser); null until a LIFF app is
 * configured (docs/line-setup.md), and then no reply points to a member page.
 */
export function memberPageUrlOf(config: Pick<AppConfig, 'LIFF_ID'>): string | null {
  return config.LIFF_ID ? `https://liff.line.me/${config.LIFF_ID}` : null;
}
