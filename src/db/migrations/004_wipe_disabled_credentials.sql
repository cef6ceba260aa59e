-- A disabled install keeps no credentials (issue 10): its Stripe key, Intercom token and webhook secret are wiped,
-- so the columns that held them may now be empty. An active install still always has its key and token.
ALTER TABLE installs ALTER COLUMN stripe_api_key_enc DROP NOT NULL;
ALTER TABLE installs ALTER COLUMN intercom_token_enc DROP NOT NULL;
ALTER TABLE installs ADD CONSTRAINT installs_credentials_unless_disabled
  CHECK (status = 'disabled' OR (stripe_api_key_enc IS NOT NULL AND intercom_token_enc IS NOT NULL));
