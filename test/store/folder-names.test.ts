// Outlook's default folder names per language, as provisioning and -LocalizeDefaultFolderName use
// them: exact tags, regions falling back to their language, Chinese scripts, unknown languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ROLES, defaultFolderNames, folderNameProblem, hasLocalizedFolderNames, inboxDisplayName } from '../../src/store/folder-names.ts';
import { pick, prng, randomInt } from '../support/random.ts';

test('names by language tag', () => {
  const cases: [string, string, string, string][] = [
    // tag, Sent Items, Deleted Items, Inbox
    ['zh-TW', '寄件備份', '刪除的郵件', '收件匣'],
    ['zh-Hant-TW', '寄件備份', '刪除的郵件', '收件匣'],
    ['zh-CN', '已发送邮件', '已删除邮件', '收件箱'],
    ['zh-Hans', '已发送邮件', '已删除邮件', '收件箱'],
    ['ja-JP', '送信済みアイテム', '削除済みアイテム', '受信トレイ'],
    ['de-AT', 'Gesendete Elemente', 'Gelöschte Elemente', 'Posteingang'],
    ['fr-CA', 'Éléments envoyés', 'Éléments supprimés', 'Boîte de réception'],
    ['es-ES', 'Elementos enviados', 'Elementos eliminados', 'Bandeja de entrada'],
    ['EN-gb', 'Sent Items', 'Deleted Items', 'Inbox'],
    ['ko-KR', 'Sent Items', 'Deleted Items', 'Inbox'],
  ];
  for (const [tag, sent, trash, inbox] of cases) {
    const names = defaultFolderNames(tag);
    assert.equal(names.sent, sent, tag);
    assert.equal(names.trash, trash, tag);
    assert.equal(inboxDisplayName(tag), inbox, tag);
  }
  assert.equal(defaultFolderNames('zh-TW').junk, '垃圾郵件');
  assert.equal(defaultFolderNames('zh-TW').drafts, '草稿');
  assert.equal(hasLocalizedFolderNames('es-MX'), true);
  assert.equal(hasLocalizedFolderNames('en-US'), true);
  assert.equal(hasLocalizedFolderNames('ko-KR'), false);
});

test('every language gives five distinct valid folder names, for any tag', () => {
  const random = prng(0x5eed18);
  const letters = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-', 'zh', 'Hant', 'Hans', 'es', 'ja', 'de'];
  for (let i = 0; i < 2000; i++) {
    const length = randomInt(random, 8);
    let tag = '';
    for (let j = 0; j < length; j++) tag += pick(random, letters);
    const names = defaultFolderNames(tag);
    const values = DEFAULT_ROLES.map((r) => names[r]);
    assert.equal(new Set(values).size, DEFAULT_ROLES.length, tag);
    for (const v of values) assert.equal(folderNameProblem(v), undefined, `${tag}: ${v}`);
    assert.ok(inboxDisplayName(tag).length > 0);
  }
});
