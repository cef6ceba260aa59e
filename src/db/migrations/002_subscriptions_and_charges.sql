-- Every subscription of the account, canceled ones included (GET /v1/subscriptions?status=all): a customer's expanded
-- `subscriptions` holds at most 10 and never the canceled ones, and item discounts are too deep to expand from a
-- customer list. observed_at as in stripe_customers: an older observation never overwrites a newer one.
CREATE TABLE stripe_subscriptions (
  install_id        text NOT NULL REFERENCES installs (id),
  subscription_id   text NOT NULL,
  customer_id       text NOT NULL,
  data              jsonb NOT NULL,
  observed_at       timestamptz NOT NULL,
  PRIMARY KEY (install_id, subscription_id)
);
CREATE INDEX stripe_subscriptions_by_customer ON stripe_subscriptions (install_id, customer_id);

-- Every charge with a customer, reduced to what the charge attributes need (last succeeded charge, total spent).
CREATE TABLE stripe_charges (
  install_id        text NOT NULL REFERENCES installs (id),
  charge_id         text NOT NULL,
  customer_id       text NOT NULL,
  status            text NOT NULL,
  currency          text NOT NULL,
  amount_captured   bigint NOT NULL,
  amount_refunded   bigint NOT NULL,
  created           bigint NOT NULL,
  observed_at       timestamptz NOT NULL,
  PRIMARY KEY (install_id, charge_id)
);
CREATE INDEX stripe_charges_by_customer ON stripe_charges (install_id, customer_id, created DESC);

-- New attributes (STRIPE_email, STRIPE_total_spent, …) must exist in Intercom before a write uses them: every install
-- prepares its attributes again at its sync workflow's next run.
UPDATE installs SET attributes_ready_at = NULL;
