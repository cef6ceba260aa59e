-- Installs: one Stripe account connected to one Intercom workspace. Secrets are AES-256-GCM ciphertext.
CREATE TABLE installs (
  id                      text PRIMARY KEY,
  stripe_account_id       text NOT NULL,
  livemode                boolean NOT NULL,
  stripe_api_key_enc      text NOT NULL,
  intercom_workspace_id   text NOT NULL,
  intercom_region         text NOT NULL CHECK (intercom_region IN ('us', 'eu', 'au')),
  intercom_token_enc      text NOT NULL,
  webhook_endpoint_id     text,
  webhook_secret_enc      text,
  attribute_prefix        text NOT NULL DEFAULT 'STRIPE_',
  match_by                text NOT NULL DEFAULT 'email',
  metadata_attributes     text[] NOT NULL DEFAULT '{}',
  status                  text NOT NULL DEFAULT 'importing' CHECK (status IN ('importing', 'live', 'disabled', 'failed')),
  last_error              text,
  attributes_ready_at     timestamptz,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  disabled_at             timestamptz
);
-- Installing the same pair twice returns the existing install; a disabled one may be installed again.
CREATE UNIQUE INDEX installs_active_pair ON installs (stripe_account_id, livemode, intercom_workspace_id)
  WHERE status <> 'disabled';
CREATE INDEX installs_by_account ON installs (stripe_account_id) WHERE status <> 'disabled';

-- One row per backfill (the first import and every resync).
CREATE TABLE imports (
  id                text PRIMARY KEY,
  install_id        text NOT NULL REFERENCES installs (id),
  workflow_run_id   text,
  status            text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed', 'canceled')),
  pages             integer NOT NULL DEFAULT 0,
  customers_seen    integer NOT NULL DEFAULT 0,
  estimated_total   integer,
  cursor            text,
  started_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz
);
CREATE INDEX imports_by_install ON imports (install_id, started_at DESC);

-- The Stripe mirror: each customer as last observed (with expanded subscriptions and payment method).
-- observed_at is when the Stripe read that produced the row began; an older observation never overwrites a newer one.
CREATE TABLE stripe_customers (
  install_id        text NOT NULL REFERENCES installs (id),
  customer_id       text NOT NULL,
  email_normalized  text,
  deleted           boolean NOT NULL DEFAULT false,
  customer          jsonb NOT NULL,
  latest_charge     jsonb,
  latest_charge_observed_at timestamptz,
  observed_at       timestamptz NOT NULL,
  PRIMARY KEY (install_id, customer_id)
);
CREATE INDEX stripe_customers_by_email ON stripe_customers (install_id, email_normalized);

-- Intercom contacts this install writes to, with a hash of the attributes last written (unchanged data costs no call).
CREATE TABLE intercom_contacts (
  install_id        text NOT NULL REFERENCES installs (id),
  contact_id        text NOT NULL,
  email_normalized  text,
  created_by_us     boolean NOT NULL,
  attributes_hash   text,
  written_at        timestamptz,
  PRIMARY KEY (install_id, contact_id)
);
CREATE INDEX intercom_contacts_by_email ON intercom_contacts (install_id, email_normalized);

-- Stripe customer -> Intercom contact. Several customers sharing an email link to one contact.
CREATE TABLE contact_links (
  install_id        text NOT NULL REFERENCES installs (id),
  customer_id       text NOT NULL,
  contact_id        text NOT NULL,
  linked_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (install_id, customer_id)
);
CREATE INDEX contact_links_by_contact ON contact_links (install_id, contact_id);

-- Every Stripe event received (webhook or catch-up), once per event id.
CREATE TABLE stripe_events (
  install_id          text NOT NULL REFERENCES installs (id),
  event_id            text NOT NULL,
  type                text NOT NULL,
  customer_id         text,
  livemode            boolean NOT NULL,
  created             timestamptz NOT NULL,
  payload             jsonb NOT NULL,
  source              text NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'catch-up')),
  status              text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed', 'ignored', 'failed')),
  status_reason       text,
  received_at         timestamptz NOT NULL DEFAULT now(),
  processed_at        timestamptz,
  intercom_event_at   timestamptz,
  PRIMARY KEY (install_id, event_id)
);
CREATE INDEX stripe_events_by_created ON stripe_events (install_id, created DESC);

-- Per-customer failures that retrying cannot fix (invalid email, attribute type clash): visible, never blocking.
CREATE TABLE customer_failures (
  install_id        text NOT NULL REFERENCES installs (id),
  customer_id       text NOT NULL,
  reason            text NOT NULL,
  code              text,
  attempts          integer NOT NULL DEFAULT 1,
  first_failed_at   timestamptz NOT NULL DEFAULT now(),
  last_failed_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (install_id, customer_id)
);

-- Webhook deliveries that were acknowledged without work (unknown install, wrong livemode, unhandled type), counted.
CREATE TABLE ignored_webhooks (
  install_id        text NOT NULL DEFAULT '',
  reason            text NOT NULL,
  count             bigint NOT NULL DEFAULT 0,
  last_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (install_id, reason)
);

-- Products, prices and coupons as observed: a customer list cannot expand product names, price tiers or discount
-- coupons (Stripe's 4-level expansion limit; coupons are ids), so the import lists them once and refreshes fetch
-- what is missing.
CREATE TABLE stripe_catalog (
  install_id        text NOT NULL REFERENCES installs (id),
  object_id         text NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('product', 'price', 'coupon')),
  data              jsonb NOT NULL,
  observed_at       timestamptz NOT NULL,
  PRIMARY KEY (install_id, object_id)
);
