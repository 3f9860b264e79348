import { AppError, type ErrorCode } from '@omo/lib/core/errors';
import type { MemberPageTextKey } from '../i18n/member-page.messages';

/** A refusal the page shows: its code for the script, its text from the catalogue, its HTTP status. */
export class MemberPageError extends AppError {
  constructor(
    code: ErrorCode,
    readonly text: MemberPageTextKey,
    readonly status: number,
  ) {
    super(text, code, {}, status);
  }
}
