/* global window, document, fetch, setTimeout */
// Live updates for the status and preview pages. Served from /assets (CSP script-src 'self': no inline code).
'use strict';

function valueAt(object, path) {
  return path.split('.').reduce((value, key) => (value == null ? undefined : value[key]), object);
}

/** Text is replaced only when it changed, so the live region announces changes and nothing else. */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function bind(root, data) {
  for (const element of root.querySelectorAll('[data-bind]')) {
    const value = valueAt(data, element.getAttribute('data-bind'));
    if (value !== undefined && value !== null) setText(element, String(value));
  }
}

/** The notices, as the server renders them: a sentence and, when there is one, the way forward. */
function renderNotices(list, notices) {
  list.replaceChildren(
    ...notices.map((notice) => {
      const item = document.createElement('li');
      item.className = 'notice tone-' + notice.tone;
      const text = document.createElement('span');
      text.textContent = notice.text;
      item.append(text);
      if (notice.link) {
        const link = document.createElement('a');
        link.href = notice.link.href;
        link.textContent = notice.link.label;
        item.append(' ', link);
      }
      return item;
    }),
  );
}

function renderPhases(list, phases) {
  list.replaceChildren(
    ...phases.map((phase) => {
      const item = document.createElement('li');
      item.className = 'phase-' + phase.state;
      if (phase.state === 'current') item.setAttribute('aria-current', 'step');
      const state = document.createElement('span');
      state.className = 'phase-state';
      state.textContent = '(' + phase.stateText + ')';
      item.append(phase.label + ' ', state);
      return item;
    }),
  );
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

/**
 * Set once a form is submitted: its answer is the next page. A live update's reload would cancel that navigation, and
 * the form's message with it (a resync the click started makes the page's own state change at once).
 */
let submitting = false;

function liveStatus(section) {
  const bar = section.querySelector('progress');
  const badge = section.querySelector('[data-tone]');
  const notices = section.querySelector('[data-list="notices"]');
  const phases = section.querySelector('[data-list="phases"]');
  const shownLabel = badge ? badge.textContent : null;
  poll(section.getAttribute('data-status-url'), 1000, (view) => {
    if (submitting) return false;
    // A form's message belongs to the state it was given in: once the state changes, it no longer holds.
    const done = document.getElementById('done-message');
    if (done && view.health.label !== shownLabel) done.remove();
    if (
      view.state !== section.getAttribute('data-state') ||
      String(view.importRunning) !== section.getAttribute('data-running')
    ) {
      // Stopped, disconnected or a run ended: the buttons change, so show the page afresh.
      window.location.reload();
      return false;
    }
    bind(section, view);
    if (bar) {
      if (view.percent === null) bar.removeAttribute('value');
      else bar.value = view.percent;
    }
    if (badge) badge.className = 'badge tone-' + view.health.tone;
    if (notices) renderNotices(notices, view.notices);
    if (phases) renderPhases(phases, view.phases);
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
  // A form's message (?done=…) is shown once: the page's own reloads and a later visit do not repeat it.
  if (/[?&]done=/.test(window.location.search)) {
    window.history.replaceState(null, '', window.location.pathname + window.location.hash);
  }
  const status = document.getElementById('live');
  if (status) liveStatus(status);
  const preview = document.getElementById('preview-live');
  if (preview) livePreview(preview);
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  }
  // After the forms' own listeners (submit bubbles up to here): a form whose confirmation was declined is not sent.
  document.addEventListener('submit', (event) => {
    if (!event.defaultPrevented) submitting = true;
  });
});
