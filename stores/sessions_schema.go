package stores

// sessionsMigrations are the schema versions of the sessions database;
// migration i moves PRAGMA user_version from i to i+1. Append new versions,
// never edit a released one.
var sessionsMigrations = []string{
	// Version 1.
	//
	// sessions: the current session of each session key. Starting a fresh
	// session (reset, idle timeout, daily reset) replaces session_id and
	// deletes the old session's turns in the same transaction. Timestamps
	// are unix nanoseconds; updated_at is the time of the last turn.
	//
	// turns: seq orders the turns of a session, and UNIQUE(session_id,
	// seq) keeps a second writer from interleaving turns silently.
	// message_id is the platform's id of the user message a turn belongs
	// to, so that a message delivered again is answered from the stored
	// turn instead of running the agent twice; delivered is set once the
	// answer reached the chat, so that it is not sent twice either.
	//
	// platform_state: values a platform persists between runs, such as
	// Telegram's last acknowledged update_id.
	`
CREATE TABLE sessions (
	key        TEXT PRIMARY KEY,
	session_id TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE turns (
	session_id TEXT NOT NULL,
	seq        INTEGER NOT NULL CHECK (seq > 0),
	role       TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
	content    TEXT NOT NULL,
	message_id TEXT,
	delivered  INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),
	created_at INTEGER NOT NULL,
	UNIQUE (session_id, seq)
) STRICT;

CREATE INDEX turns_message_id ON turns (session_id, message_id) WHERE message_id IS NOT NULL;

CREATE TABLE platform_state (
	platform   TEXT NOT NULL,
	name       TEXT NOT NULL,
	value      TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (platform, name)
) STRICT, WITHOUT ROWID;
`,
}
