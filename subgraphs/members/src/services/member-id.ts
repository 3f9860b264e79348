import { Types } from 'mongoose';
import { BadUserInputError } from '@omo/lib/core/errors';
import { OBJECT_ID } from '@omo/lib/core/validation';

/** A member id as given (24 hex digits, either case); BAD_USER_INPUT naming `field` otherwise. */
export function parseMemberId(id: string, field = 'id'): Types.ObjectId {
  if (!OBJECT_ID.test(id)) throw new BadUserInputError('Not a valid member id', { field });
  return new Types.ObjectId(id);
}
