-- One Stripe budget per account across every worker and API process (issue 19): for the account (and mode), and for
-- each of its endpoints, the earliest time the next request may be sent.
CREATE TABLE stripe_budgets (
  -- `<account>:<live|test>` for the account's budget, `<account>:<live|test> <METHOD> <path>` for an endpoint's.
  bucket  text PRIMARY KEY,
  free_at timestamptz NOT NULL
);

-- Reserves `wanted` requests on both budgets (the account's row locked first, then the endpoint's: never the other way
-- round) at the earliest time both are free, and moves each budget's free time past them at its rate. Returns how many
-- milliseconds from now they may be sent. A reservation, not a poll: callers waiting together get successive times
-- from one round trip each instead of racing for each token. The database's clock is the only clock.
CREATE FUNCTION reserve_stripe_requests(
  account_bucket text, endpoint_bucket text, wanted integer,
  account_per_second double precision, endpoint_per_second double precision
) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
  now_at timestamptz := clock_timestamp();
  account_free timestamptz;
  endpoint_free timestamptz;
  send_at timestamptz;
BEGIN
  INSERT INTO stripe_budgets (bucket, free_at) VALUES (account_bucket, now_at), (endpoint_bucket, now_at)
    ON CONFLICT (bucket) DO NOTHING;
  SELECT free_at INTO account_free FROM stripe_budgets WHERE bucket = account_bucket FOR UPDATE;
  SELECT free_at INTO endpoint_free FROM stripe_budgets WHERE bucket = endpoint_bucket FOR UPDATE;
  send_at := greatest(now_at, account_free, endpoint_free);
  UPDATE stripe_budgets SET free_at = send_at + make_interval(secs => wanted / account_per_second)
    WHERE bucket = account_bucket;
  UPDATE stripe_budgets SET free_at = send_at + make_interval(secs => wanted / endpoint_per_second)
    WHERE bucket = endpoint_bucket;
  RETURN 1000 * extract(epoch FROM send_at - now_at);
END $$;
