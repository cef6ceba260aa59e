import { html, type Html } from './html';

export interface Layout {
  title: string;
  body: Html;
  /** Shown in the header with a sign-out button when someone is signed in. */
  signedIn?: { who: string; workspace: string; csrfToken: string };
}

/** The one page frame: local stylesheet and script only (CSP `'self'`), no inline code. */
export function layout(page: Layout): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${page.title} · Stripe → Intercom sync</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/app.css" />
        <script src="/assets/app.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/app">Stripe <span aria-hidden="true">→</span> Intercom sync</a>
          ${
            page.signedIn &&
            html`<form class="who" method="post" action="/app/sign-out">
              <span>${page.signedIn.who} · ${page.signedIn.workspace}</span>
              <input type="hidden" name="_csrf" value="${page.signedIn.csrfToken}" />
              <button class="link" type="submit">Sign out</button>
            </form>`
          }
        </header>
        <main>${page.body}</main>
      </body>
    </html>`.value;
}

/** A page that tells the person what happened and what to do next. */
export function messagePage(options: { title: string; message: string; tone?: 'error' | 'info'; next?: Html }): string {
  return layout({
    title: options.title,
    body: html`<section
      class="card ${options.tone === 'error' ? 'card-error' : ''}"
      role="${options.tone === 'error' ? 'alert' : 'status'}"
    >
      <h1>${options.title}</h1>
      <p class="message">${options.message}</p>
      ${options.next ?? html`<p><a class="button" href="/app">Back to the start</a></p>`}
    </section>`,
  });
}

const ERROR_TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'Please sign in',
  403: 'Request refused',
  404: 'Not found',
  409: 'Not possible right now',
  422: 'Please check what you entered',
};

/** Errors of the install pages as a page (the same message the JSON API would give). */
export function errorPage(status: number, body: { error: { code: string; message: string } }): string {
  const title = ERROR_TITLES[status] ?? (status >= 500 ? 'Something went wrong on our side' : 'That did not work');
  const next =
    status === 401
      ? html`<p><a class="button" href="/app">Sign in</a></p>`
      : html`<p><a class="button" href="/app">Back to the start</a></p>`;
  return messagePage({ title, message: body.error.message, tone: 'error', next });
}
