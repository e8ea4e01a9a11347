package sessions

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/stores"
)

// DefaultRetryOpen is the delay between attempts to open the database
// after it could not be opened.
const DefaultRetryOpen = time.Second

// Config configures the sessions store actor.
type Config struct {
	// Path is the database file.
	Path string
	// Sessions holds the idle timeout, the daily reset hour and the
	// history length.
	Sessions config.SessionsConfig
	// Location is the time zone of the daily reset hour; nil means
	// time.Local.
	Location *time.Location
	// Now returns the current time; nil uses time.Now.
	Now func() time.Time
	// Open opens the storage; nil means stores.OpenSessions. Lets tests
	// inject failures.
	Open func(path string, logger *zap.Logger) (stores.Sessions, error)
	// RetryOpen is the delay between open attempts; zero means
	// DefaultRetryOpen.
	RetryOpen time.Duration
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Path == "":
		return c, fmt.Errorf("%w: the database path is empty; set platforms.sessions.db_path "+
			"or a data folder", ErrInvalidConfig)
	case c.RetryOpen < 0:
		return c, fmt.Errorf("%w: RetryOpen is %v; set a positive delay, or 0 for %v",
			ErrInvalidConfig, c.RetryOpen, DefaultRetryOpen)
	case c.Sessions.ResetHour < config.SessionResetOff || c.Sessions.ResetHour > 23:
		return c, fmt.Errorf("%w: reset hour %d is not 0-23 or -1 (off)",
			ErrInvalidConfig, c.Sessions.ResetHour)
	}
	if c.RetryOpen == 0 {
		c.RetryOpen = DefaultRetryOpen
	}
	if c.Sessions.HistoryLength <= 0 {
		c.Sessions.HistoryLength = config.DefaultSessionHistory
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Open == nil {
		c.Open = openSQLite(c.Now)
	}
	return c, nil
}

// openSQLite returns the default Config.Open, which stamps turns with now.
// It returns a nil interface, not a typed nil, on error.
func openSQLite(now func() time.Time) func(string, *zap.Logger) (stores.Sessions, error) {
	return func(path string, logger *zap.Logger) (stores.Sessions, error) {
		s, err := stores.OpenSessions(path, logger, stores.WithSessionsClock(now))
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// policy returns the load policy at now: sessions idle since before
// now-IdleTimeout, or last used before the most recent reset hour, start
// fresh.
func (c Config) policy(now time.Time, maxTurns int) stores.LoadPolicy {
	p := stores.LoadPolicy{MaxTurns: maxTurns}
	if p.MaxTurns <= 0 || p.MaxTurns > config.MaxSessionHistory {
		p.MaxTurns = c.Sessions.HistoryLength
	}
	if c.Sessions.IdleTimeout > 0 {
		p.IdleSince = now.Add(-c.Sessions.IdleTimeout)
	}
	if c.Sessions.ResetHour != config.SessionResetOff {
		p.ResetAt = LastReset(now.In(c.Location), c.Sessions.ResetHour)
	}
	return p
}

// LastReset returns the most recent time at or before now when the clock
// in now's location showed hour:00.
func LastReset(now time.Time, hour int) time.Time {
	r := time.Date(now.Year(), now.Month(), now.Day(), hour, 0, 0, 0, now.Location())
	if r.After(now) {
		r = time.Date(now.Year(), now.Month(), now.Day()-1, hour, 0, 0, 0, now.Location())
	}
	return r
}

// Props returns the props of a sessions store actor. The producer returns
// a fresh actor every time and opens nothing; the database is opened when
// the actor starts. The logger is named "sessions".
func Props(cfg Config, logger *zap.Logger) *actor.Props {
	if logger == nil {
		logger = zap.NewNop()
	}
	logger = logger.Named("sessions")
	return actor.PropsFromProducer(
		func() actor.Actor { return newActor(cfg, logger) },
		actor.WithReceiverMiddleware(lifecycle.RecoverLifecycle(logger)),
	)
}
