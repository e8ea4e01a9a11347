package actorgate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/apiserver"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/config"
)

// LockFileName is the file in the data folder that a running gateway
// keeps locked. It contains the gateway's pid.
const LockFileName = "actorgate.lock"

// databaseLockSuffix is appended to a database's path to name its lock
// file, such as responses.db.lock.
const databaseLockSuffix = ".lock"

// database is a SQLite file that a platform of the gateway opens.
type database struct {
	path string
	// setting is the configuration key that sets path.
	setting string
}

// dataLocks is the set of lock files a gateway holds: one in its data
// folder and one beside each database it opens. Every lock stays held
// until release, also when a reload stops using its database, so that no
// other gateway can open a file while an adapter of this one may still
// have it open.
type dataLocks struct {
	log *zap.Logger
	mu  sync.Mutex
	// files maps each lock file's path to its lock.
	files    map[string]*lockFile
	released bool
}

func newDataLocks(log *zap.Logger) *dataLocks {
	return &dataLocks{log: log, files: map[string]*lockFile{}}
}

// lockHome locks the data folder home, creating it with mode 0700 when it
// is missing. An empty home locks nothing.
func (d *dataLocks) lockHome(home string) error {
	if home == "" {
		return nil
	}
	abs, err := filepath.Abs(home)
	if err != nil {
		return fmt.Errorf("locking the data folder %s: %w", home, err)
	}
	return d.lock(filepath.Join(abs, LockFileName), abs, "the data folder", ErrHomeInUse,
		"set ACTORGATE_HOME to another folder")
}

// lockDatabases locks the lock file beside each database in dbs.
func (d *dataLocks) lockDatabases(dbs []database) error {
	for _, db := range dbs {
		abs, err := filepath.Abs(db.path)
		if err != nil {
			return fmt.Errorf("locking the database %s: %w", db.path, err)
		}
		err = d.lock(abs+databaseLockSuffix, abs, "the database", ErrDatabaseInUse,
			"set "+db.setting+" to another file")
		if err != nil {
			return err
		}
	}
	return nil
}

// lock takes the lock file lockPath of target, a folder or database that
// kind describes. When another gateway holds it, the error wraps inUse and
// ends with fix, the setting that moves this gateway elsewhere.
func (d *dataLocks) lock(lockPath, target, kind string, inUse error, fix string) error {
	holder, err := d.acquire(lockPath)
	switch {
	case errors.Is(err, errLocked):
		return fmt.Errorf("%w: %s is locked by %s (lock file %s); %s, or %s", inUse, target,
			holderName(holder), lockPath, stopHint(holder), fix)
	case err != nil:
		return fmt.Errorf("locking %s %s: %w", kind, target, err)
	}
	return nil
}

// acquire locks lockPath unless this gateway holds it already. It returns
// ErrClosed after release.
func (d *dataLocks) acquire(lockPath string) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.released {
		return 0, ErrClosed
	}
	if _, ok := d.files[lockPath]; ok {
		return 0, nil
	}
	l, holder, err := acquireLock(lockPath)
	if err != nil {
		return holder, err
	}
	if err := l.writePID(); err != nil {
		// The lock is taken all the same. Only the error message of a
		// process that finds it taken lacks the pid.
		d.log.Warn("writing the pid into the lock file failed",
			zap.String("lock_path", lockPath), zap.Error(err))
	}
	d.files[lockPath] = l
	return 0, nil
}

// holding reports whether any lock is held.
func (d *dataLocks) holding() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.files) > 0
}

// release drops every lock and empties the lock files. Locks taken after
// it fail with ErrClosed. It is safe to call more than once.
func (d *dataLocks) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.released = true
	for path, l := range d.files {
		if err := l.release(); err != nil {
			d.log.Warn("releasing the lock file failed", zap.String("lock_path", path),
				zap.Error(err))
		}
		delete(d.files, path)
	}
}

// holderName names the process whose pid the lock file contains.
func holderName(pid int) string {
	switch pid {
	case 0:
		return "another process (the lock file names no pid)"
	case os.Getpid():
		return fmt.Sprintf("another gateway in this process (pid %d)", pid)
	}
	return fmt.Sprintf("pid %d", pid)
}

// stopHint returns the step that makes the holder pid release its lock.
func stopHint(pid int) string {
	if pid == os.Getpid() {
		return "close that gateway first"
	}
	return "stop that gateway"
}

// databases returns the databases that platforms open: the API server's
// responses database, and the sessions database that Start configured
// when a chat platform runs. A rejected platform opens nothing.
func (g *Gateway) databases(cfg config.Config, platforms []gateway.Platform) []database {
	responses := database{
		path:    cfg.Platforms.APIServer.ResolvedDBPath(cfg.Home),
		setting: "platforms.api_server.db_path",
	}
	sessions := database{path: g.sessionsDB, setting: "platforms.sessions.db_path"}
	usesResponses, usesSessions := false, false
	for _, p := range platforms {
		if p.Rejected == nil {
			usesResponses = usesResponses || p.Name == apiserver.Name
			usesSessions = usesSessions || p.UsesSessions
		}
	}
	var out []database
	if usesResponses && responses.path != "" {
		out = append(out, responses)
	}
	if usesSessions && sessions.path != "" {
		out = append(out, sessions)
	}
	return out
}

// lockData locks the data folder of cfg and the databases that platforms
// open, keeping the locks this gateway holds already.
func (g *Gateway) lockData(cfg config.Config, platforms []gateway.Platform) error {
	if err := g.locks.lockHome(cfg.Home); err != nil {
		return err
	}
	return g.locks.lockDatabases(g.databases(cfg, platforms))
}
