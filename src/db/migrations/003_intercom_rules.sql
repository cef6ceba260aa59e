-- A contact found as an Intercom lead: the first write turns it into a user (design §4: the lead becomes the user),
-- and a retried write must still know it has to send the role.
ALTER TABLE intercom_contacts ADD COLUMN is_lead boolean NOT NULL DEFAULT false;

-- Things a person should look at that do not stop a customer's sync (e.g. an email change Intercom refused because
-- another user holds that email). One row per customer and kind; shown by GET /installs/:id.
CREATE TABLE install_warnings (
  install_id        text NOT NULL REFERENCES installs (id),
  customer_id       text NOT NULL,
  code              text NOT NULL,
  contact_id        text,
  message           text NOT NULL,
  first_at          timestamptz NOT NULL DEFAULT now(),
  last_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (install_id, customer_id, code)
);

-- The created_at each Stripe event was (or will be) sent to Intercom with. Intercom keeps one event per (contact,
-- event name, created_at), so two events of one type for one contact in the same second get distinct seconds; the
-- choice is durable so that a retried send repeats it exactly (and Intercom drops the repeat).
CREATE TABLE intercom_event_times (
  install_id        text NOT NULL REFERENCES installs (id),
  event_id          text NOT NULL,
  contact_id        text NOT NULL,
  event_name        text NOT NULL,
  created_at        bigint NOT NULL,
  PRIMARY KEY (install_id, event_id),
  UNIQUE (install_id, contact_id, event_name, created_at)
);
