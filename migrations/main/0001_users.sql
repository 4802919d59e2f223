-- Telegram users of the bot (seed 000: tg-responcer).
CREATE TABLE users (
  id          INTEGER PRIMARY KEY,          -- Telegram user id
  chat_id     INTEGER NOT NULL,
  username    TEXT,
  first_name  TEXT,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
