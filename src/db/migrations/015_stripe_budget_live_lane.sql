-- Live work first across processes (issue 19). Within a process the Stripe pacer hands its grants to live work's
-- requests first; across processes the endpoint's budget was reserved in arrival order, so another worker's import
-- pages (one grant of up to four requests after another) took every other grant while a live change waited to re-read
-- a customer from the same list endpoint. An endpoint's `live_until` says live work reserved it lately and asks for
-- more soon: until then, grants for other work are deferred, not reserved.
ALTER TABLE stripe_budgets ADD COLUMN live_until timestamptz;

-- As reserve_stripe_requests (migration 013), for `live` work or not. A live grant holds the endpoint for live work
-- until LIVE_HOLD after its requests' share of the budget ends: long enough for the same process's next grant request
-- (sent as soon as this one's requests are) to arrive. Other work asking meanwhile gets no grant: the result is then
-- negative, minus the milliseconds to wait before asking again. Migration 013's function stays as it is for the
-- processes of the previous release during a rolling deploy; it never defers, and live grants still go ahead of the
-- grants those processes ask for next.
CREATE FUNCTION reserve_stripe_requests(
  account_bucket text, endpoint_bucket text, wanted integer,
  account_per_second double precision, endpoint_per_second double precision, live boolean
) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
  live_hold CONSTANT interval := interval '100 milliseconds';
  now_at timestamptz := clock_timestamp();
  account_free timestamptz;
  endpoint_free timestamptz;
  endpoint_live_until timestamptz;
  send_at timestamptz;
BEGIN
  INSERT INTO stripe_budgets (bucket, free_at) VALUES (account_bucket, now_at), (endpoint_bucket, now_at)
    ON CONFLICT (bucket) DO NOTHING;
  SELECT free_at INTO account_free FROM stripe_budgets WHERE bucket = account_bucket FOR UPDATE;
  SELECT free_at, live_until INTO endpoint_free, endpoint_live_until
    FROM stripe_budgets WHERE bucket = endpoint_bucket FOR UPDATE;
  IF NOT live AND endpoint_live_until > now_at THEN
    RETURN -1000 * extract(epoch FROM endpoint_live_until - now_at);
  END IF;
  send_at := greatest(now_at, account_free, endpoint_free);
  UPDATE stripe_budgets SET free_at = send_at + make_interval(secs => wanted / account_per_second)
    WHERE bucket = account_bucket;
  UPDATE stripe_budgets SET free_at = send_at + make_interval(secs => wanted / endpoint_per_second),
      live_until = CASE WHEN live THEN send_at + make_interval(secs => wanted / endpoint_per_second) + live_hold
                        ELSE live_until END
    WHERE bucket = endpoint_bucket;
  RETURN 1000 * extract(epoch FROM send_at - now_at);
END $$;
