package actorgate

import "errors"

// Sentinel errors, for callers to test with errors.Is.
var (
	// ErrClosed is returned by calls on a Gateway after Close.
	ErrClosed = errors.New("gateway is closed")

	// ErrHomeInUse is wrapped by the error that Start and Reload return
	// when another gateway holds the lock on the data folder
	// (config.Config.Home), in this process or in another one. The error
	// names the folder and, when the lock file contains it, the holder's
	// pid.
	ErrHomeInUse = errors.New("data folder in use by another gateway")

	// ErrDatabaseInUse is wrapped by the error that Start and Reload
	// return when another gateway holds the lock on a database that this
	// gateway would open, which happens when a db_path names the database
	// of another gateway. The error names the database and the setting to
	// change.
	ErrDatabaseInUse = errors.New("database in use by another gateway")
)
