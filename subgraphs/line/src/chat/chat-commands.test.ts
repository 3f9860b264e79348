import { isChatPostback, matchCommand, normaliseText, postbackCommand, postbackData } from './chat-commands';

describe('normaliseText', () => {
  it('folds full-width letters, half-width katakana, case and surrounding spaces', () => {
    expect(normaliseText('　ＰＯＩＮＴＳ ')).toBe('points');
    expect(normaliseText('ﾎﾟｲﾝﾄ')).toBe('ポイント');
    expect(normaliseText('Member Card')).toBe('member card');
  });
});

describe('matchCommand', () => {
  it.each([
    ['ポイント', 'points'],
    ['残高', 'points'],
    ['ﾎﾟｲﾝﾄ', 'points'],
    ['ぽいんと', 'points'],
    ['points', 'points'],
    ['Points', 'points'],
    ['ＰＯＩＮＴＳ', 'points'],
    ['ポイント？', 'points'],
    ['  points!  ', 'points'],
    ['会員証', 'card'],
    ['card', 'card'],
    ['ＣＡＲＤ', 'card'],
    ['member card', 'card'],
    ['履歴', 'history'],
    ['History', 'history'],
    ['ヘルプ', 'help'],
    ['?', 'help'],
    ['？', 'help'],
  ])('reads %p as %p', (text, command) => {
    expect(matchCommand(text)).toBe(command);
  });

  it.each(['こんにちは', 'ポイントカードをなくしました', 'pointsplease', '', '   ', '。'])('does not take %p for a command', (text) => {
    expect(matchCommand(text)).toBeNull();
  });
});

describe('postbacks', () => {
  it('reads the chat buttons and rich-menu actions', () => {
    expect(postbackCommand('action=show_points')).toBe('points');
    expect(postbackCommand('action=show_member_card')).toBe('card');
    expect(postbackCommand('action=show_history')).toBe('history');
    expect(postbackCommand('action=show_history&from=richmenu')).toBe('history');
  });

  it('leaves other postbacks to their owners', () => {
    expect(postbackCommand('action=link_account')).toBeNull();
    expect(isChatPostback('action=link_account')).toBe(false);
    expect(isChatPostback('action=show_points')).toBe(true);
    expect(postbackCommand('garbage')).toBeNull();
    expect(postbackCommand('action=toString')).toBeNull();
  });

  it('writes the data its own buttons send back', () => {
    for (const command of ['points', 'card', 'history', 'help'] as const) expect(postbackCommand(postbackData(command))).toBe(command);
  });
});
