-- Issue 16: sign-in sweeps ended sessions and OAuth states; without these indexes each sweep read the whole table.
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);
