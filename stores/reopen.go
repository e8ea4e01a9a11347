package stores

import (
	"os"

	"go.uber.org/zap"
)

// ready returns ErrClosed after Close. Before a write it reopens a
// connection that SQLite opened read-only once the file is writable again,
// and before any call it opens the database again when an earlier reopen
// failed.
func (s *SQLiteResponses) ready(write bool) error {
	if s.closed {
		return ErrClosed
	}
	if write {
		s.reopenIfWritable()
	}
	if s.db != nil {
		return nil
	}
	db, mode, err := OpenSQLite(s.path, s.baseLogger)
	if err != nil {
		return err
	}
	s.db, s.mode = db, mode
	s.logger.Info("database reopened", zap.String("journal_mode", string(mode)))
	return nil
}

// noteWriteError records a write that failed because SQLite opened the
// database file read-only.
func (s *SQLiteResponses) noteWriteError(err error) {
	if err != nil && readOnlyConnection(err) {
		s.readOnlyConn = true
	}
}

// reopenIfWritable replaces a connection that SQLite opened read-only once
// the file is writable again, so that writes recover without a restart.
//
// The old connection is closed first. SQLite cannot close a file
// descriptor while another connection in the process holds locks on the
// same file, so opening the new one first would leave the old descriptor
// open until the store closes. When the new open fails, s.db stays nil and
// ready tries again on the next call.
func (s *SQLiteResponses) reopenIfWritable() {
	if !s.readOnlyConn || s.db == nil {
		return
	}
	f, err := os.OpenFile(s.path, os.O_RDWR, 0)
	if err != nil {
		return
	}
	_ = f.Close()

	if err := s.db.Close(); err != nil {
		s.logger.Warn("closing the read-only connection failed", zap.Error(err))
	}
	s.db, s.readOnlyConn = nil, false
	db, mode, err := OpenSQLite(s.path, s.baseLogger)
	if err != nil {
		s.logger.Warn("cannot reopen the database file, which is writable again", zap.Error(err))
		return
	}
	s.db, s.mode = db, mode
	s.logger.Info("database file is writable again; reopened it",
		zap.String("journal_mode", string(mode)))
}
