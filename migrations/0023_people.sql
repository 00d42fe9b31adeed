-- People who sign in to the web app or call the API with their own token, each with a role
-- (src/domain/roles.ts). Secrets are never stored: sessions, API tokens and password links keep the
-- SHA-256 of a random token, passwords an argon2id hash.
CREATE TABLE users (
  id            uuid PRIMARY KEY,
  email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('viewer', 'collector', 'finance_lead', 'admin')),
  -- Null until the person sets one through their set-up link.
  password_hash text,
  -- BCP 47 tag for dates and money on pages (null: the browser's).
  locale        text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    text NOT NULL,
  disabled_at   timestamptz
);
CREATE UNIQUE INDEX users_email_idx ON users (email);

-- A signed-in browser. `csrf_token` is the session's synchronizer token, sent back by every form.
CREATE TABLE user_sessions (
  token_hash   text PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL,
  -- Absolute end; an idle session also ends (see src/services/sessions.ts).
  expires_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- Personal API tokens: shown once, then only their prefix; revocable.
CREATE TABLE user_tokens (
  id           uuid PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  token_hash   text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id);

-- One-time links: `setup` (a new person, or the first admin, chooses a password) and `reset`.
CREATE TABLE password_links (
  token_hash text PRIMARY KEY,
  -- Null for the first admin's set-up link, which creates the admin.
  user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
  purpose    text NOT NULL CHECK (purpose IN ('setup', 'reset')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
