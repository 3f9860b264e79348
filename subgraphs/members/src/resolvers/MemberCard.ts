import type { MemberCardResolvers } from '../__generated__/resolvers-types';
import { renderBarcodeSvg } from '../services/barcode';

export const MemberCard: MemberCardResolvers = {
  code: (member) => member.memberCode,
  barcodeSvg: (member, { format }) => renderBarcodeSvg(member.memberCode, format),
};
