// WebSettings (a Mailroom setting; Exchange serves these pages from IIS): where monitoring
// endpoints listen.
import { checkBinding } from './endpoints.ts';
import type { SettingDef } from './model.ts';

export const WEB_SETTINGS: readonly SettingDef[] = [
  { name: 'MetricsBindings', kind: 'string', multi: true, check: checkBinding, default: [],
    help: 'Plain-HTTP listeners for /metrics and /healthz only, e.g. 127.0.0.1:9090; empty serves them on the web listeners with the pages.' },
];
