-- What an admin sees (issue 18): progress that never goes back, run history, alerts.

-- The figures the status has shown of each import run. Each only grows (GREATEST on every write), whichever source
-- answered at the time: the import's query, its row, or nothing while a worker restarts. A number shown is never
-- taken back within a run.
CREATE TABLE import_progress (
  import_id               text PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
  -- 1 billing lists, 2 customers, 3 finishing, 4 done.
  phase_rank              smallint NOT NULL DEFAULT 0,
  billing_objects         integer NOT NULL DEFAULT 0,
  customers_read          integer NOT NULL DEFAULT 0,
  -- Written to Intercom (an import) or checked against it (a resync).
  customers_done          integer NOT NULL DEFAULT 0,
  -- Intercom contacts written during the run (a resync of an unchanged account writes none).
  contacts_written        integer NOT NULL DEFAULT 0,
  total                   integer,
  percent                 smallint,
  -- When the customers phase was first seen, and how many were done then: the phase's own rate gives time left.
  customers_started_at    timestamptz,
  customers_done_at_start integer,
  updated_at              timestamptz NOT NULL DEFAULT now()
);

-- The customers the preview counted just before the install (the browser flow): a first import's total. Stripe has
-- no count endpoint, so without it a first import shows counts without a percentage.
ALTER TABLE imports ADD COLUMN expected_customers integer;

-- A workspace's alert webhook (Slack-compatible JSON). The URL is a secret (a Slack incoming webhook URL is its
-- own credential): sealed like the other secrets.
CREATE TABLE install_alerts (
  install_id        text PRIMARY KEY REFERENCES installs (id),
  url_enc        text NOT NULL,
  -- What the last notification said: 'ok' (all clear) or the attention key it reported.
  last_state        text NOT NULL DEFAULT 'ok',
  last_sent_at      timestamptz,
  last_result       text,
  created_at        timestamptz NOT NULL DEFAULT now()
);
