/** What a customer can ask for in the chat. */
export type ChatCommand = 'points' | 'card' | 'history' | 'rewards' | 'help';

/**
 * Spellings each command answers to, written already normalised (see compactText). Exact matches only: free text
 * such as "ポイントカードをなくした" must not be mistaken for a command, it gets the help message instead.
 */
const ALIASES: Record<ChatCommand, readonly string[]> = {
  points: ['ポイント', 'ぽいんと', 'ポイント残高', '残高', 'ざんだか', 'ポイント確認', 'point', 'points', 'pt', 'balance', 'mypoints'],
  card: ['会員証', 'かいいんしょう', '会員カード', 'カード', 'バーコード', 'card', 'membercard', 'membershipcard', 'barcode'],
  history: ['履歴', 'りれき', 'ポイント履歴', '利用履歴', 'history', 'pointhistory'],
  rewards: ['特典', 'とくてん', '特典一覧', 'クーポン', 'くーぽん', 'ポイント交換', 'rewards', 'reward', 'coupons', 'coupon'],
  help: ['ヘルプ', 'へるぷ', 'メニュー', 'help', 'menu', '?'],
};

const COMMAND_OF = new Map<string, ChatCommand>(
  (Object.entries(ALIASES) as [ChatCommand, readonly string[]][]).flatMap(([command, words]) => words.map((word) => [word, command])),
);

/**
 * NFKC folds full-width Latin (ＰＯＩＮＴＳ) and half-width katakana (ﾎﾟｲﾝﾄ) into their usual forms and full-width
 * spaces into spaces; lower case makes "Points" and "POINTS" one word.
 */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().trim();
}

/** Spaces and the punctuation people add around a one-word request ("ポイント？", "points!", "member card") do not count. */
function compactText(text: string): string {
  const normalised = normaliseText(text).replace(/\s+/g, '');
  return normalised === '?' ? normalised : normalised.replace(/^[!?.,。、…~〜]+|[!?.,。、…~〜]+$/g, '');
}

/** The command a text message asks for; null for anything else (the caller answers with help). */
export function matchCommand(text: string): ChatCommand | null {
  return COMMAND_OF.get(compactText(text)) ?? null;
}

/** Postback actions of the chat's buttons and of the members' rich menu ("action=show_points"). */
const POSTBACK_ACTION: Readonly<Record<ChatCommand, string>> = {
  points: 'show_points',
  card: 'show_member_card',
  history: 'show_history',
  rewards: 'show_rewards',
  help: 'show_help',
};

const COMMAND_OF_ACTION = new Map<string, ChatCommand>(
  (Object.entries(POSTBACK_ACTION) as [ChatCommand, string][]).map(([command, action]) => [action, command]),
);

export function postbackData(command: ChatCommand): string {
  return `action=${POSTBACK_ACTION[command]}`;
}

/** The command a postback asks for; null for one that is not the chat's (e.g. "action=link_account"). */
export function postbackCommand(data: string): ChatCommand | null {
  const action = new URLSearchParams(data).get('action');
  return (action !== null && COMMAND_OF_ACTION.get(action)) || null;
}

/** A reward button's action: the reward travels in the postback (LINE allows 300 characters of data). */
const REDEEM_ACTION = 'redeem_reward';
const REWARD_ID = /^[0-9a-f]{24}$/i;

export function redeemPostbackData(rewardId: string): string {
  return `action=${REDEEM_ACTION}&reward=${rewardId}`;
}

/** The reward a redeem button asks for; null for any other postback, or one whose reward id is malformed. */
export function redeemPostbackReward(data: string): string | null {
  const params = new URLSearchParams(data);
  const reward = params.get('reward');
  return params.get('action') === REDEEM_ACTION && reward !== null && REWARD_ID.test(reward) ? reward.toLowerCase() : null;
}

/** Whether a postback belongs to the chat; the dispatcher sends the others to their owners. */
export function isChatPostback(data: string): boolean {
  return postbackCommand(data) !== null || new URLSearchParams(data).get('action') === REDEEM_ACTION;
}
