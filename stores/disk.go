package stores

import (
	"errors"
	"strings"
	"syscall"

	"github.com/mattn/go-sqlite3"

	"github.com/actorgate/actorgate/messages"
)

// errReadonlyDirectory is SQLITE_READONLY_DIRECTORY, which go-sqlite3
// v1.14.53 does not name: the journal cannot be created because the
// directory is read-only.
var errReadonlyDirectory = sqlite3.ErrReadonly.Extend(6)

// classify wraps err so that it matches messages.ErrStoreUnavailable when
// the disk or file system caused it. Other errors are returned unchanged.
func classify(err error) error {
	if err == nil || errors.Is(err, messages.ErrStoreUnavailable) {
		return err
	}
	if cause := diskCause(err); cause != "" {
		return &unavailableError{cause: cause, err: err}
	}
	return err
}

// diskCause names the disk or file system fault behind err, or returns ""
// when err has another cause.
func diskCause(err error) string {
	var se sqlite3.Error
	if errors.As(err, &se) {
		if cause := sqliteCause(se); cause != "" {
			return cause
		}
	}
	return errnoCause(err)
}

func sqliteCause(se sqlite3.Error) string {
	switch se.Code {
	case sqlite3.ErrReadonly:
		if se.ExtendedCode == errReadonlyDirectory {
			return "directory is read-only"
		}
		return "database is read-only"
	case sqlite3.ErrFull:
		return "disk is full"
	case sqlite3.ErrIoErr:
		if cause := errnoCause(se.SystemErrno); cause != "" {
			return cause
		}
		return "disk I/O error"
	case sqlite3.ErrCantOpen:
		if cause := errnoCause(se.SystemErrno); cause != "" {
			return cause
		}
		return "database file cannot be opened"
	case sqlite3.ErrPerm:
		return "permission denied"
	case sqlite3.ErrBusy:
		return "database is locked by another process"
	}
	return ""
}

func errnoCause(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) || errno == 0 {
		return ""
	}
	switch errno {
	case syscall.EROFS:
		return "file system is read-only"
	case syscall.EACCES, syscall.EPERM:
		return "permission denied"
	case syscall.ENOSPC:
		return "disk is full"
	case syscall.EDQUOT:
		return "disk quota exceeded"
	case syscall.EIO:
		return "disk I/O error"
	}
	return ""
}

// readOnlyConnection reports whether err means that SQLite opened the
// database file read-only. That lasts as long as the connection, so the
// store reopens the file once it is writable again.
func readOnlyConnection(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrReadonly {
		return false
	}
	return se.ExtendedCode == sqlite3.ErrNoExtended(sqlite3.ErrReadonly) ||
		se.ExtendedCode == sqlite3.ErrReadonlyDbMoved
}

// dirNotWritable wraps an error from opening or creating the database when
// its directory cannot be written, where SQLite cannot create the -wal,
// -shm or -journal file either.
func dirNotWritable(dir string, err error) error {
	if syscall.Access(dir, accessWrite) == nil {
		return nil
	}
	return &unavailableError{cause: "database directory " + dir + " is not writable", err: err}
}

// accessWrite is W_OK for access(2).
const accessWrite = 2

// cannotLock reports whether err from setting journal_mode=WAL means that
// the file system cannot provide the locks or shared memory WAL needs, as
// on most network mounts.
func cannotLock(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrProtocol, sqlite3.ErrBusy, sqlite3.ErrNoLFS:
			return true
		}
		switch se.ExtendedCode {
		case sqlite3.ErrIoErrLock, sqlite3.ErrIoErrRDlock, sqlite3.ErrIoErrCheckReservedLock,
			sqlite3.ErrIoErrSHMOpen, sqlite3.ErrIoErrSHMSize, sqlite3.ErrIoErrSHMLock,
			sqlite3.ErrIoErrSHMMap, sqlite3.ErrReadonlyCantLock:
			return true
		}
	}
	return strings.Contains(err.Error(), "locking protocol")
}
