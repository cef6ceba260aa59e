-- Several Stripe accounts per Intercom workspace (issue 22): the install whose customers the inbox card and Fin's
-- answers list first. No row (or a disabled install): the workspace's oldest active install is the primary.
CREATE TABLE workspace_primary (
  intercom_workspace_id text PRIMARY KEY,
  install_id            text NOT NULL REFERENCES installs (id),
  chosen_at             timestamptz NOT NULL DEFAULT now()
);
