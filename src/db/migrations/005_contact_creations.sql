-- A contact create, recorded before it is sent to Intercom. When a retry of it meets a 409 (its first answer was lost,
-- or its worker died before recording the contact), this row says the contact Intercom names is one this service
-- made, not a user that was there before: it keeps following its customer's email and name.
CREATE TABLE contact_creations (
  install_id        text NOT NULL REFERENCES installs (id),
  email_normalized  text NOT NULL,
  requested_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (install_id, email_normalized)
);
