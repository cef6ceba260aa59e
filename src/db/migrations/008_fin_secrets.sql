-- Answers for Fin (issue 22): one bearer secret per install for Intercom's data connector. Only its SHA-256 is kept
-- (the secret is random, 32 bytes, shown once when made): nothing here opens anything, so it is not sealed.
CREATE TABLE fin_secrets (
  install_id        text PRIMARY KEY REFERENCES installs (id),
  secret_sha256     text NOT NULL UNIQUE,
  created_at        timestamptz NOT NULL DEFAULT now()
);
