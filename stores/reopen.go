package stores

import (
	"context"
	"errors"
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
	if err := s.reopen(); err != nil {
		return err
	}
	s.logger.Info("database reopened", zap.String("journal_mode", string(s.mode)))
	return nil
}

// reopen opens the database file, prepares the statements on the new
// connection and reads the number of stored responses. On error s.db
// stays nil and nothing is left open.
func (s *SQLiteResponses) reopen() error {
	db, mode, err := OpenSQLite(s.path, s.baseLogger)
	if err != nil {
		return err
	}
	s.db = db
	if err := s.prepare(context.Background()); err != nil {
		_ = db.Close()
		s.db = nil
		return err
	}
	s.mode = mode
	return nil
}

// closeConn closes the statements and the connection, and sets s.db to
// nil.
func (s *SQLiteResponses) closeConn() error {
	stmtErr := s.stmts.close()
	s.stmts = nil
	err := s.db.Close()
	s.db = nil
	return errors.Join(stmtErr, err)
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

	if err := s.closeConn(); err != nil {
		s.logger.Warn("closing the read-only connection failed", zap.Error(err))
	}
	s.readOnlyConn = false
	if err := s.reopen(); err != nil {
		s.logger.Warn("cannot reopen the database file, which is writable again", zap.Error(err))
		return
	}
	s.logger.Info("database file is writable again; reopened it",
		zap.String("journal_mode", string(s.mode)))
}
