-- Issue 22, finishing touches.

-- The status page shows a Fin secret again only by its last characters (the secret itself is shown once, when made).
ALTER TABLE fin_secrets ADD COLUMN secret_hint text;

-- A customer's recorded events, newest first: the inbox card's last invoices and the explain page read them per
-- customer (the only other index is by install and time, so those reads scanned the install's whole event log).
CREATE INDEX stripe_events_by_customer ON stripe_events (install_id, customer_id, created DESC)
  WHERE customer_id IS NOT NULL;

-- Inbox card actions are single use: every canvas carries a signed nonce in its stored_data, and a submit request
-- spends it here, so a captured submit replayed later is refused. Rows outlive the nonce's validity, then go.
CREATE TABLE canvas_action_nonces (
  nonce             text PRIMARY KEY,
  expires_at        timestamptz NOT NULL
);
CREATE INDEX canvas_action_nonces_by_expiry ON canvas_action_nonces (expires_at);
