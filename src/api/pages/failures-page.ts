import type { FailureGroup } from '../../status/failure-groups';
import { count, html, tableHead } from './html';
import { layout, type Layout } from './layout';

export function failuresPage(options: {
  installId: string;
  groups: FailureGroup[];
  signedIn: Layout['signedIn'];
}): string {
  const { installId, groups } = options;
  const total = groups.reduce((sum, group) => sum + group.count, 0);
  const body = html`<section class="card">
    <p><a href="/app/installs/${installId}">← Back to status</a></p>
    <h1>Customers that could not be written</h1>
    <p class="lead">
      Retrying cannot fix these. Each reason says what does; a fixed customer is written on its next change in Stripe,
      or when you press Resync.
    </p>
    ${
      total === 0
        ? html`<p class="empty" id="no-failures">No failures. Every customer reached Intercom.</p>`
        : html`<p>
              <a class="button secondary" id="failures-csv" href="/app/installs/${installId}/failures.csv"
                >Download as CSV (${count(total)} ${total === 1 ? 'customer' : 'customers'})</a
              >
            </p>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Failures by reason">
              <table id="failure-groups">
                ${tableHead(['Reason', 'Customers', 'What fixes it'])}
                <tbody>
                  ${groups.map(
                    (group) =>
                      html`<tr>
                        <td><a href="#reason-${group.reason}">${group.title}</a></td>
                        <td>${count(group.count)}</td>
                        <td>${group.fix}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            ${groups.map(
              (group) =>
                html`<h2 id="reason-${group.reason}">${group.title} (${count(group.count)})</h2>
                  <div class="table-wrap" tabindex="0" role="region" aria-label="${group.title}">
                    <table class="failures" id="failures-${group.reason}">
                      ${tableHead(['Stripe customer', 'Detail', 'Attempts', 'Last tried'])}
                      <tbody>
                        ${group.customers.map(
                          (failure) =>
                            html`<tr>
                              <td><code>${failure.customerId}</code></td>
                              <td>${failure.reason}</td>
                              <td>${failure.attempts}</td>
                              <td>${failure.lastFailedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`,
            )}`
    }
  </section>`;
  return layout({ title: 'Failures', body, signedIn: options.signedIn });
}
