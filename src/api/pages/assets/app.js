/* global window, document, fetch, setTimeout */
// Live updates for the status and preview pages. Served from /assets (CSP script-src 'self': no inline code).
'use strict';

function valueAt(object, path) {
  return path.split('.').reduce((value, key) => (value == null ? undefined : value[key]), object);
}

function bind(root, data) {
  for (const element of root.querySelectorAll('[data-bind]')) {
    const value = valueAt(data, element.getAttribute('data-bind'));
    if (value !== undefined && value !== null) element.textContent = String(value);
  }
}

function poll(url, intervalMs, onData) {
  let stopped = false;
  async function tick() {
    if (stopped) return;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
      if (response.ok) stopped = onData(await response.json()) === false;
    } catch {
      // A missed update is shown by the next one.
    }
    if (!stopped) setTimeout(tick, intervalMs);
  }
  setTimeout(tick, intervalMs);
}

function liveStatus(section) {
  const bar = section.querySelector('progress');
  const badge = section.querySelector('[data-tone]');
  poll(section.getAttribute('data-status-url'), 1000, (view) => {
    bind(section, view);
    if (bar) bar.value = view.percent;
    if (badge) badge.className = 'badge tone-' + view.health.tone;
    if (view.state !== section.getAttribute('data-state')) {
      // Disconnected or failed elsewhere (Stripe, Intercom): the buttons change, so show the page afresh.
      window.location.reload();
      return false;
    }
    return true;
  });
}

function livePreview(element) {
  poll(element.getAttribute('data-preview-url'), 1000, (preview) => {
    bind(element, preview);
    if (preview.phase !== 'reading') {
      window.location.reload();
      return false;
    }
    return true;
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const status = document.getElementById('live');
  if (status) liveStatus(status);
  const preview = document.getElementById('preview-live');
  if (preview) livePreview(preview);
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  }
});
