// Module hooks for the "checks off" Mailroom of bench/smtp (registered by server-preload.mjs when
// BENCH_SMTP_CHECKS=off): the inbound checks (src/smtp/inbound-auth.ts) get a mailauth whose
// authenticate() answers at once with no verdict, so the message is delivered without
// Authentication-Results. Everything else that imports mailauth gets the real one.
const STUB = `export async function authenticate() { return { headers: '', dmarc: false }; }`;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'mailauth' && (context.parentURL?.endsWith('/src/smtp/inbound-auth.ts') || context.parentURL?.endsWith('/src/smtp/inbound-auth-worker.ts'))) {
    return { url: `data:text/javascript,${encodeURIComponent(STUB)}`, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
