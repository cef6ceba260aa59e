-- Webhook events committed but not yet handed to their install's sync workflow (issue 19). The webhook answers once
-- the event and its outbox row are committed, in one statement; the API's relay signals the workflow and deletes the
-- row. A relay that crashed mid-signal leaves its lease to expire, and any relay (or the worker's catch-up) takes the
-- row again: a repeated signal is dropped by the workflow, which remembers recent event ids.
CREATE TABLE signal_outbox (
  id             bigserial PRIMARY KEY,
  install_id     text NOT NULL REFERENCES installs (id) ON DELETE CASCADE,
  event_id       text NOT NULL,
  customer_id    text NOT NULL,
  refresh        boolean NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  -- Held by a relay until then; past it (or NULL), any relay may take the row.
  claimed_until  timestamptz,
  attempts       integer NOT NULL DEFAULT 0,
  UNIQUE (install_id, event_id)
);

CREATE INDEX signal_outbox_by_install ON signal_outbox (install_id, id);

-- Whether a customer's event asks for the customer to be re-read from Stripe (NULL before this migration: taken as
-- yes, which only costs a read). With it the sync workflow's pending work can be re-read from here after it continues
-- as new, instead of being carried in its input.
ALTER TABLE stripe_events ADD COLUMN refresh boolean;
CREATE INDEX stripe_events_pending ON stripe_events (install_id, created, event_id)
  WHERE status = 'received' AND customer_id IS NOT NULL;
