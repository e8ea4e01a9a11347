package stores

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mattn/go-sqlite3"
	"go.uber.org/zap"
)

// JournalMode is the SQLite journal mode a database runs in.
type JournalMode string

// Journal modes that OpenSQLite sets.
const (
	// JournalWAL is the write-ahead log, used wherever the file system can
	// lock.
	JournalWAL JournalMode = "wal"
	// JournalDelete is the rollback journal, the fallback for file systems
	// that cannot provide the locks and shared memory WAL needs.
	JournalDelete JournalMode = "delete"
)

// busyTimeoutMillis is how long a statement waits for a lock held by
// another process before it fails with SQLITE_BUSY.
const busyTimeoutMillis = 5000

// statementCacheSize is how many prepared statements go-sqlite3 keeps per
// connection, enough for every query of the response store.
const statementCacheSize = 32

// fileMode is the permission of the database and its -wal, -shm and
// -journal files: the owner only.
const fileMode fs.FileMode = 0o600

// sidecarSuffixes are the files SQLite creates beside a database.
var sidecarSuffixes = []string{"-wal", "-shm", "-journal"}

// OpenSQLite opens the SQLite database at path with one connection and
// returns the journal mode it runs in.
//
// The file is created with mode 0600 before SQLite opens it, so it is never
// readable by others, and the parent directory is created with mode 0700
// when it is missing. The journal is WAL when the file system can lock and
// the rollback journal otherwise, which OpenSQLite logs once as a warning.
// Failures caused by the disk or file system match
// messages.ErrStoreUnavailable. On error nothing is left open.
func OpenSQLite(path string, logger *zap.Logger) (*sql.DB, JournalMode, error) {
	return openSQLite(path, logger, "")
}

// openSQLite is OpenSQLite with an optional SQLite VFS name, which tests
// use to run on a VFS without locking.
func openSQLite(path string, logger *zap.Logger, vfs string) (*sql.DB, JournalMode, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	abs, err := databasePath(path)
	if err != nil {
		return nil, "", err
	}
	if err := createDatabaseFile(abs); err != nil {
		return nil, "", err
	}

	setup := &connSetup{logger: logger.With(zap.String("db_path", abs))}
	db := sql.OpenDB(&connector{
		dsn:    sqliteDSN(abs, vfs),
		driver: &sqlite3.SQLiteDriver{ConnectHook: setup.configure},
	})
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		err = fmt.Errorf("opening database %s: %w", abs, err)
		if dirErr := dirNotWritable(filepath.Dir(abs), err); dirErr != nil {
			return nil, "", dirErr
		}
		return nil, "", classify(err)
	}
	restrictFileModes(abs, setup.logger)
	return db, setup.journalMode(), nil
}

// databasePath validates path and returns it as an absolute path.
func databasePath(path string) (string, error) {
	if strings.TrimSpace(path) == "" {
		return "", invalidArgument("database path is empty; set the path of the database file")
	}
	if strings.HasPrefix(path, "file:") || strings.HasPrefix(path, ":memory:") {
		return "", invalidArgument(
			"database path %q is a SQLite URI; set a plain file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", invalidArgument("database path %q: %v", path, err)
	}
	return abs, nil
}

// createDatabaseFile creates the database file with mode 0600 unless it
// exists, so that no window exists in which the umask decides its mode.
func createDatabaseFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return classify(fmt.Errorf("creating database directory: %w", err))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		return checkRegularFile(path)
	}
	if err != nil {
		err = fmt.Errorf("creating database file: %w", err)
		if dirErr := dirNotWritable(filepath.Dir(path), err); dirErr != nil {
			return dirErr
		}
		return classify(err)
	}
	return f.Close()
}

func checkRegularFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return classify(fmt.Errorf("checking database file: %w", err))
	}
	if !info.Mode().IsRegular() {
		return invalidArgument("database path %s is not a regular file; "+
			"set the path of a database file", path)
	}
	return nil
}

// sqliteDSN builds a file: URI with go-sqlite3's connection options.
// _txlock=immediate makes every transaction take the write lock at BEGIN,
// so two writers fail fast on busy_timeout instead of deadlocking on lock
// upgrade.
func sqliteDSN(path, vfs string) string {
	query := url.Values{}
	query.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	query.Set("_txlock", "immediate")
	query.Set("_foreign_keys", "1")
	query.Set("_stmt_cache_size", fmt.Sprint(statementCacheSize))
	if vfs != "" {
		query.Set("vfs", vfs)
	}
	uri := url.URL{Scheme: "file", Path: path, RawQuery: query.Encode()}
	return uri.String()
}

// restrictFileModes sets mode 0600 on the database and the files SQLite
// created beside it, which otherwise may inherit a wider mode. A failure
// is logged, not returned: a read-only file cannot be changed, but it can
// still be read.
func restrictFileModes(path string, logger *zap.Logger) {
	for _, name := range append([]string{path}, sidecars(path)...) {
		info, err := os.Stat(name)
		if err != nil || info.Mode().Perm() == fileMode {
			continue
		}
		if err := os.Chmod(name, fileMode); err != nil {
			logger.Warn("cannot restrict database file mode",
				zap.String("file", name), zap.Error(err))
		}
	}
}

func sidecars(path string) []string {
	names := make([]string, len(sidecarSuffixes))
	for i, suffix := range sidecarSuffixes {
		names[i] = path + suffix
	}
	return names
}

// connector opens go-sqlite3 connections for sql.OpenDB without
// registering a driver name, so the connect hook belongs to one *sql.DB.
type connector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func (c *connector) Connect(context.Context) (driver.Conn, error) {
	return c.driver.Open(c.dsn)
}

func (c *connector) Driver() driver.Driver { return c.driver }

// connSetup configures every new connection. database/sql normally keeps
// the single connection for the lifetime of the *sql.DB, but if it ever
// opens a new one, that connection gets the same journal and synchronous
// settings.
type connSetup struct {
	logger *zap.Logger

	mu     sync.Mutex
	mode   JournalMode
	warned bool
}

func (s *connSetup) journalMode() JournalMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// configure sets the journal mode, and synchronous to match it: NORMAL
// under WAL, where a commit is durable once the WAL is synced at a
// checkpoint, and FULL under the rollback journal. It also registers the
// SQL function that the schema migration uses to fill id_hash.
func (s *connSetup) configure(conn *sqlite3.SQLiteConn) error {
	mode, err := s.setJournalMode(conn)
	if err != nil {
		return err
	}
	synchronous := "FULL"
	if mode == JournalWAL {
		synchronous = "NORMAL"
	}
	if _, err := conn.Exec("PRAGMA synchronous = "+synchronous, nil); err != nil {
		return fmt.Errorf("setting synchronous=%s: %w", synchronous, err)
	}
	if err := conn.RegisterFunc(idHashFunction, responseIDHash, true); err != nil {
		return fmt.Errorf("registering SQL function %s: %w", idHashFunction, err)
	}

	s.mu.Lock()
	s.mode = mode
	s.mu.Unlock()
	return nil
}

// setJournalMode requests WAL and falls back to the rollback journal when
// the file system cannot lock or SQLite keeps another mode.
func (s *connSetup) setJournalMode(conn *sqlite3.SQLiteConn) (JournalMode, error) {
	mode, err := pragmaText(conn, "PRAGMA journal_mode = WAL")
	if err == nil && mode == string(JournalWAL) {
		return JournalWAL, nil
	}
	if err != nil && !cannotLock(err) {
		return "", fmt.Errorf("setting journal_mode=WAL: %w", err)
	}

	fallback, ferr := pragmaText(conn, "PRAGMA journal_mode = DELETE")
	if ferr != nil {
		return "", fmt.Errorf("setting journal_mode=DELETE after WAL was not available: %w", ferr)
	}
	s.warnFallback(mode, err, fallback)
	return JournalMode(fallback), nil
}

func (s *connSetup) warnFallback(walMode string, walErr error, mode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warned {
		return
	}
	s.warned = true
	fields := []zap.Field{zap.String("journal_mode", mode)}
	if walErr != nil {
		fields = append(fields, zap.Error(walErr))
	} else {
		fields = append(fields, zap.String("wal_result", walMode))
	}
	s.logger.Warn("wal journal not available, using the rollback journal", fields...)
}

// pragmaText runs a PRAGMA that returns one text value, lowercased.
func pragmaText(conn *sqlite3.SQLiteConn, query string) (string, error) {
	rows, err := conn.Query(query, nil)
	if err != nil {
		return "", err
	}
	defer func() { _ = rows.Close() }()

	if n := len(rows.Columns()); n != 1 {
		return "", fmt.Errorf("%s returned %d columns, want 1", query, n)
	}
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("%s returned no row", query)
		}
		return "", err
	}
	switch v := dest[0].(type) {
	case string:
		return strings.ToLower(v), nil
	case []byte:
		return strings.ToLower(string(v)), nil
	default:
		return "", fmt.Errorf("%s returned %T, want text", query, dest[0])
	}
}
