// Package stores owns actorgate's SQLite databases: how a database file is
// opened, its schema and migrations, and the queries behind the response
// store.
//
// # Opening a database
//
// [OpenSQLite] opens a database file with exactly one connection. The file
// and its -wal and -shm companions get mode 0600. The journal is WAL when
// the file system can lock, and the rollback journal (DELETE) otherwise,
// for example on a network mount. Every connection sets busy_timeout,
// foreign_keys, and synchronous=NORMAL under WAL or FULL under the
// rollback journal. The schema version lives in PRAGMA user_version, and a
// database written by a newer actorgate is rejected with a
// [*SchemaVersionError].
//
// # Responses
//
// [Responses] is the storage interface the response store actor talks to,
// and [SQLiteResponses] is its only implementation. Responses are scoped to
// a session key, bounded by a count with least-recently-used eviction, and
// ordered within their thread by a sequence number that the schema keeps
// unique. A response id is "resp_" followed by a 16-hex thread key and 32
// random hex digits. A malformed id is not found, and no query runs for it.
// The store keeps the id and row number of every stored response in
// memory, loaded when the database is opened, so that the table needs no
// index on the random ids. That costs about 100 bytes of memory per
// stored response (measured with Go 1.26 on amd64).
//
// Idempotency keys live in the same database, so the status and body of a
// finished request survive a restart. A key held by a running request is
// reported as [ErrIdempotencyPending] so that the actor can park the
// caller until the owner finishes.
//
// # Offline checks
//
// [IntegrityCheck] runs SQLite's integrity and foreign key checks on a
// database file, and [ReadAllResponses] returns every stored row, both
// through a read-only connection. The reliability suite uses them on the
// database a killed gateway left behind.
//
// # Errors
//
// Failures caused by the disk or file system (read-only file or directory,
// full disk, I/O error, a file that cannot be opened) match
// messages.ErrStoreUnavailable with errors.Is, and their text names the
// cause. Other sentinel errors are listed in errors.go.
//
// Only the store actor imports this package, and nothing else opens the
// databases or imports the SQLite driver.
package stores
