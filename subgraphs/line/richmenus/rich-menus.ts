import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { messagingApi } from '@line/bot-sdk';
import { memberPageUrlOf } from '../src/line-api/liff-url';

/** The two menus: linked members get `member`, everyone else `guest` (also the channel's default menu). */
export const RICH_MENU_NAMES = ['member', 'guest'] as const;
export type RichMenuName = (typeof RICH_MENU_NAMES)[number];

export interface RichMenuFiles {
  definition: messagingApi.RichMenuRequest;
  image: Buffer;
}

/** `<name>.json` (LINE's rich menu object) and `<name>.png` (its picture, exactly `size`) from this folder. */
export async function loadRichMenu(name: RichMenuName, dir = __dirname): Promise<RichMenuFiles> {
  const [json, image] = await Promise.all([readFile(path.join(dir, `${name}.json`), 'utf8'), readFile(path.join(dir, `${name}.png`))]);
  return { definition: JSON.parse(json) as messagingApi.RichMenuRequest, image };
}

/** The member menu's card button, which shows the card in the chat (a postback) until the LIFF member page is set up. */
const CARD_POSTBACK = 'action=show_member_card';

/**
 * The menu as LINE gets it: with a LIFF app, the member menu's card button opens the member page (card, points,
 * history, coupons, settings) instead of posting back for the chat's card; the picture stays the same.
 */
export function withLiff(name: RichMenuName, definition: messagingApi.RichMenuRequest, liffId: string | undefined): messagingApi.RichMenuRequest {
  const page = memberPageUrlOf({ LIFF_ID: liffId });
  if (name !== 'member' || !page) return definition;
  return {
    ...definition,
    areas: definition.areas?.map((area) =>
      area.action?.type === 'postback' && area.action.data === CARD_POSTBACK
        ? { ...area, action: { type: 'uri', label: area.action.label, uri: page } }
        : area,
    ),
  };
}

/**
 * Images go to LINE's data host, everything else to the API host. A non-default base URL (a fake LINE API, a
 * proxy) serves both.
 */
function dataBaseUrl(apiBaseUrl: string): string {
  return new URL(apiBaseUrl).host === 'api.line.me' ? 'https://api-data.line.me' : apiBaseUrl;
}

/**
 * Creates both menus through the SDK (the member menu's card button opening the LIFF app when `liffId` is given): validate (LINE says what is wrong before anything exists), create, upload
 * the image, and make the guest menu the channel's default. A menu whose image upload failed is deleted again,
 * since LINE cannot show a menu without one. Returns the ids for LINE_MEMBER_RICH_MENU_ID / LINE_GUEST_RICH_MENU_ID.
 */
export async function createRichMenus(options: {
  channelAccessToken: string;
  apiBaseUrl: string;
  setDefault?: boolean;
  dir?: string;
  /** LIFF_ID: the member menu's card button opens the member page. */
  liffId?: string;
}): Promise<Record<RichMenuName, string>> {
  const { channelAccessToken, apiBaseUrl } = options;
  const api = new messagingApi.MessagingApiClient({ channelAccessToken, baseURL: apiBaseUrl });
  const blob = new messagingApi.MessagingApiBlobClient({ channelAccessToken, baseURL: dataBaseUrl(apiBaseUrl) });
  const ids: Partial<Record<RichMenuName, string>> = {};
  for (const name of RICH_MENU_NAMES) {
    const loaded = await loadRichMenu(name, options.dir);
    const { image } = loaded;
    const definition = withLiff(name, loaded.definition, options.liffId);
    await api.validateRichMenuObject(definition);
    const { richMenuId } = await api.createRichMenu(definition);
    try {
      await blob.setRichMenuImage(richMenuId, new Blob([image], { type: 'image/png' }));
    } catch (error) {
      await api.deleteRichMenu(richMenuId).catch(() => undefined);
      throw error;
    }
    ids[name] = richMenuId;
  }
  const created = ids as Record<RichMenuName, string>;
  if (options.setDefault !== false) await api.setDefaultRichMenu(created.guest);
  return created;
}
