// The Options navigation of a signed-in user: Account > My account, and the POP/IMAP settings.
import type { Translator } from '../i18n.ts';
import type { NavGroup } from './layout.ts';

export const MY_ACCOUNT_PATH = '/options/account';
export const POP_IMAP_PATH = '/options/account/pop-imap';
export const MOBILECONFIG_PATH = '/options/account/pop-imap/mail.mobileconfig';

export function optionsNav(t: Translator, current: string): NavGroup[] {
  return [{
    label: t.t('nav.account'),
    items: [
      { href: MY_ACCOUNT_PATH, label: t.t('account.title'), current: current === MY_ACCOUNT_PATH },
      { href: POP_IMAP_PATH, label: t.t('popimap.navLabel'), current: current === POP_IMAP_PATH },
    ],
  }];
}
