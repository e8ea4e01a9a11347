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
	// Version 2 rebuilds responses and conversations so that a write
	// updates one small index at a random position instead of two larger
	// ones, the id index and the (thread_key, seq) index. It copies every
	// row.
	//
	// responses: seq is the rowid and grows with each insert, so it orders
	// the turns of a thread as the per-thread sequence of version 1 did,
	// and new rows go to the end of the table. id_hash is
	// responseIDHash(id); its index entries are about a quarter the size
	// of entries holding the 53-byte id. Two ids can share a hash, so every
	// lookup also compares id, and Put checks that an id is not stored
	// before it inserts it.
	//
	// conversations: response_seq points at the latest response of a
	// conversation. Deleting or evicting that response deletes the name
	// through the foreign key, which needs the index on response_seq.
	//
	// The copy numbers the rows by thread and version 1 sequence, so the
	// turns of each thread keep their order. The old tables are dropped
	// child first, so no cascade runs. Renaming responses_v2 rewrites the
	// foreign key of conversations_v2 to the new name, as SQLite 3.26 and
	// later do unless legacy_alter_table is on.
	`
CREATE TABLE responses_v2 (
	seq          INTEGER PRIMARY KEY,
	id_hash      INTEGER NOT NULL,
	id           TEXT NOT NULL,
	session_key  TEXT NOT NULL,
	previous_id  TEXT,
	status       TEXT NOT NULL,
	instructions TEXT,
	body         BLOB NOT NULL,
	history      BLOB NOT NULL,
	created_at   INTEGER NOT NULL,
	accessed_at  INTEGER NOT NULL
) STRICT;

INSERT INTO responses_v2 (seq, id_hash, id, session_key, previous_id, status, instructions,
	body, history, created_at, accessed_at)
SELECT ROW_NUMBER() OVER (ORDER BY thread_key, seq), actorgate_id_hash(id), id, session_key,
	previous_id, status, instructions, body, history, created_at, accessed_at
FROM responses;

CREATE INDEX responses_id_hash ON responses_v2 (id_hash);

CREATE TABLE conversations_v2 (
	session_key  TEXT NOT NULL,
	name         TEXT NOT NULL,
	response_seq INTEGER NOT NULL REFERENCES responses_v2 (seq) ON DELETE CASCADE,
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (session_key, name)
) STRICT, WITHOUT ROWID;

INSERT INTO conversations_v2 (session_key, name, response_seq, updated_at)
SELECT c.session_key, c.name, r.seq, c.updated_at
FROM conversations AS c
JOIN responses_v2 AS r ON r.id_hash = actorgate_id_hash(c.response_id) AND r.id = c.response_id;

DROP TABLE conversations;
DROP TABLE responses;
ALTER TABLE responses_v2 RENAME TO responses;
ALTER TABLE conversations_v2 RENAME TO conversations;

CREATE INDEX responses_accessed_at ON responses (accessed_at);
CREATE INDEX conversations_response_seq ON conversations (response_seq);
`,
	// Version 3 drops the id_hash index. The store keeps the seq of every
	// id in memory instead (see idIndex), because random ids made each
	// insert and eviction write an index page at a random position. The
	// id_hash column stays and is still filled, so rows need no rewrite and
	// the index can be created again from it.
	`DROP INDEX responses_id_hash;`,
}
