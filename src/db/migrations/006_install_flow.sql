-- The browser install flow (issue 8).

-- Stripe Apps OAuth grants: the access token lives one hour, the refresh token a year and rolls on every refresh.
-- A refresh locks the grant's row (SELECT … FOR UPDATE), so two workers never spend one refresh token, and stores the
-- new refresh token in the same transaction that retires the old one. Tokens are AES-256-GCM ciphertext.
CREATE TABLE stripe_grants (
  id                  text PRIMARY KEY,
  stripe_account_id   text NOT NULL,
  livemode            boolean NOT NULL,
  access_token_enc    text NOT NULL,
  access_expires_at   timestamptz NOT NULL,
  refresh_token_enc   text NOT NULL,
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'rejected')),
  rejected_reason     text,
  refreshed_at        timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now()
);

-- An install connected through Stripe OAuth: its Stripe calls use the grant's (fresh) access token.
ALTER TABLE installs ADD COLUMN stripe_grant_id text REFERENCES stripe_grants (id);

-- Browser sessions: the cookie carries a random id (signed); only its SHA-256 is stored. A session is one Intercom
-- admin's login and the credentials they have connected so far (before the install exists).
CREATE TABLE web_sessions (
  id_hash                 text PRIMARY KEY,
  public_id               text NOT NULL UNIQUE,
  csrf_token              text NOT NULL,
  intercom_workspace_id   text,
  intercom_workspace_name text,
  intercom_region         text CHECK (intercom_region IN ('us', 'eu', 'au')),
  intercom_admin_id       text,
  intercom_admin_name     text,
  intercom_token_enc      text,
  stripe_account_id       text,
  stripe_livemode         boolean,
  stripe_key_enc          text,
  stripe_grant_id         text REFERENCES stripe_grants (id),
  created_at              timestamptz NOT NULL DEFAULT now(),
  expires_at              timestamptz NOT NULL
);

-- OAuth `state` nonces: single use (used_at), bound to the session that started the flow, 10 minutes.
CREATE TABLE oauth_states (
  nonce             text PRIMARY KEY,
  session_hash      text NOT NULL,
  provider          text NOT NULL CHECK (provider IN ('intercom', 'stripe')),
  expires_at        timestamptz NOT NULL,
  used_at           timestamptz
);

-- The preview's distinct emails (a preview writes nothing to Intercom): several customers sharing an email become one
-- Intercom user, so the preview counts each email once, on the page that saw it first (a retried page counts the same).
CREATE TABLE preview_emails (
  preview_id        text NOT NULL,
  email_normalized  text NOT NULL,
  page              integer NOT NULL,
  matched           boolean NOT NULL,
  PRIMARY KEY (preview_id, email_normalized)
);
