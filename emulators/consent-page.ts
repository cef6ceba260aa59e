/** What both emulators' sign-in pages share: a minimal, self-contained HTML consent page (the vendors' own look is not the point). */

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => escapes[char] ?? char);
}

export interface ConsentPage {
  vendor: string;
  title: string;
  /** Already escaped HTML, shown inside the form (so it may hold inputs). */
  bodyHtml: string;
  /** Form action and hidden fields; the buttons post `decision=allow` or `decision=deny`. */
  action: string;
  fields: Record<string, string>;
  allowLabel: string;
  denyLabel?: string;
}

export function renderConsentPage(page: ConsentPage): string {
  const hidden = Object.entries(page.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const deny = page.denyLabel
    ? `<button type="submit" name="decision" value="deny" class="secondary">${escapeHtml(page.denyLabel)}</button>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>${escapeHtml(page.title)} · ${escapeHtml(page.vendor)} (emulator)</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1a1f36;margin:0;padding:24px}
main{max-width:460px;margin:40px auto;background:#fff;border-radius:12px;padding:28px;box-shadow:0 2px 12px #0002}
.vendor{font-weight:700;color:#635bff;letter-spacing:.02em}h1{font-size:22px;margin:8px 0 16px}
button{font:inherit;font-weight:600;padding:10px 18px;border-radius:8px;border:0;background:#635bff;color:#fff;cursor:pointer;margin:8px 8px 0 0}
button.secondary{background:#e3e8ee;color:#1a1f36}select{font:inherit;padding:6px;width:100%}.note{color:#697386;font-size:14px}
</style></head><body><main>
<div class="vendor">${escapeHtml(page.vendor)} <span class="note">(emulator)</span></div>
<h1>${escapeHtml(page.title)}</h1>
<form method="post" action="${escapeHtml(page.action)}">${page.bodyHtml}${hidden}
<button type="submit" name="decision" value="allow">${escapeHtml(page.allowLabel)}</button>${deny}</form>
</main></body></html>`;
}

/** `uri` with `params` added to its query string. */
export function withQuery(uri: string, params: Record<string, string>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}
