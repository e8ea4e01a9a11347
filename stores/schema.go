package stores

// responsesMigrations are the schema versions of the responses database.
// Migration i moves PRAGMA user_version from i to i+1. Append new versions,
// never edit a released one.
var responsesMigrations = []string{
	// Version 1.
	//
	// responses: seq orders the turns of a thread, and UNIQUE(thread_key,
	// seq) keeps a second writer from interleaving turns silently.
	// previous_id has no foreign key because the previous response may be
	// evicted first. Timestamps are unix nanoseconds, and accessed_at orders
	// the least-recently-used eviction.
	//
	// conversations: a name points at the latest response of a
	// conversation. Deleting or evicting that response deletes the name
	// through the foreign key, which needs the index on response_id.
	//
	// idempotency: a pending row is owned by the store instance whose
	// token is in owner. A done row keeps the status and body until expires_at.
	`
CREATE TABLE responses (
	id           TEXT PRIMARY KEY,
	session_key  TEXT NOT NULL,
	thread_key   TEXT NOT NULL,
	seq          INTEGER NOT NULL CHECK (seq > 0),
	previous_id  TEXT,
	status       TEXT NOT NULL,
	instructions TEXT,
	body         BLOB NOT NULL,
	history      BLOB NOT NULL,
	created_at   INTEGER NOT NULL,
	accessed_at  INTEGER NOT NULL,
	UNIQUE (thread_key, seq)
) STRICT;

CREATE INDEX responses_accessed_at ON responses (accessed_at);

CREATE TABLE conversations (
	session_key TEXT NOT NULL,
	name        TEXT NOT NULL,
	response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (session_key, name)
) STRICT, WITHOUT ROWID;

CREATE INDEX conversations_response_id ON conversations (response_id);

CREATE TABLE idempotency (
	session_key TEXT NOT NULL,
	key         TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('pending', 'done')),
	owner       TEXT NOT NULL,
	status      INTEGER NOT NULL DEFAULT 0,
	body        BLOB,
	ttl         INTEGER NOT NULL CHECK (ttl > 0),
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	PRIMARY KEY (session_key, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_expires_at ON idempotency (expires_at);
`,
}
