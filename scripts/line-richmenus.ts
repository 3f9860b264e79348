import { parseArgs } from 'node:util';
import { HTTPFetchError } from '@line/bot-sdk';
import { loadConfigOrExit } from '@omo/lib/core/config';
import { createRichMenus } from '@omo/line/richmenus/rich-menus';
import { memberPageUrlOf } from '@omo/line/src/line-api/liff-url';

const USAGE = `usage: npm run line:richmenus [-- --keep-default]
  Creates the members' and the guests' rich menus from subgraphs/line/richmenus/ on the channel of
  LINE_CHANNEL_ACCESS_TOKEN, makes the guest menu the channel's default (unless --keep-default), and prints the
  two ids to put in the configuration. With LIFF_ID set, the member menu's card button opens the LIFF member page
  (https://liff.line.me/<LIFF_ID>) instead of the chat's card.`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'keep-default': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const config = loadConfigOrExit();
  const ids = await createRichMenus({
    channelAccessToken: config.LINE_CHANNEL_ACCESS_TOKEN,
    apiBaseUrl: config.LINE_API_BASE_URL,
    setDefault: !values['keep-default'],
    liffId: config.LIFF_ID,
  });
  process.stdout.write(
    `Created the rich menus${values['keep-default'] ? '' : ' (the guest menu is now the default)'}` +
      `${config.LIFF_ID ? `; the card button opens ${memberPageUrlOf(config)}` : ''}. Add to the configuration:\n` +
      `LINE_MEMBER_RICH_MENU_ID=${ids.member}\nLINE_GUEST_RICH_MENU_ID=${ids.guest}\n`,
  );
}

main().catch((error: unknown) => {
  // LINE's answer says which field of a menu it refused
  const detail = error instanceof HTTPFetchError ? `LINE answered ${error.status}: ${error.body}` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`${detail}\n`);
  process.exit(1);
});
