package store

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/stores"
)

// Defaults applied to a zero Config field.
const (
	DefaultRetryOpen    = time.Second
	DefaultMaxResponses = config.DefaultMaxResponses
)

// MaxBatch is the most responses one transaction writes.
const MaxBatch = 256

// maxParked is the most requests that may wait for one idempotency key.
const maxParked = 1024

// Config configures the response store actor.
type Config struct {
	// Path is the database file.
	Path string
	// MaxResponses bounds the stored responses, and the least recently
	// used are evicted beyond it. Zero means DefaultMaxResponses.
	MaxResponses int
	// Open opens the storage, and nil means stores.OpenResponses. Tests
	// and the benchmark set it to inject failures.
	Open func(path string, max int, logger *zap.Logger) (stores.Responses, error)
	// RetryOpen is the delay between attempts to open the storage after it
	// could not be opened. Zero means DefaultRetryOpen.
	RetryOpen time.Duration
	// Observe, when set, is called after every storage operation with its
	// name (get_response, get_conversation, delete_response, put_responses,
	// begin_idempotent, finish_idempotent), its duration and its error.
	// It runs on the actor's goroutine and must not block.
	Observe func(op string, d time.Duration, err error)
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Path == "" {
		return c, fmt.Errorf("%w: the database path is empty; set Config.Path "+
			"(the api_server db_path setting, or a data folder)", ErrInvalidConfig)
	}
	if c.MaxResponses < 0 {
		return c, fmt.Errorf("%w: MaxResponses is %d; set a positive limit, or 0 for %d",
			ErrInvalidConfig, c.MaxResponses, DefaultMaxResponses)
	}
	if c.RetryOpen < 0 {
		return c, fmt.Errorf("%w: RetryOpen is %v; set a positive delay, or 0 for %v",
			ErrInvalidConfig, c.RetryOpen, DefaultRetryOpen)
	}
	if c.MaxResponses == 0 {
		c.MaxResponses = DefaultMaxResponses
	}
	if c.RetryOpen == 0 {
		c.RetryOpen = DefaultRetryOpen
	}
	if c.Open == nil {
		c.Open = openSQLite
	}
	return c, nil
}

// openSQLite is the default Config.Open. It returns a nil interface, not a
// typed nil, on error.
func openSQLite(path string, max int, logger *zap.Logger) (stores.Responses, error) {
	s, err := stores.OpenResponses(path, max, logger)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Props returns the props of a response store actor. The producer returns
// a fresh actor every time and opens nothing, because the database is
// opened when the actor starts. A receiver middleware logs and recovers a panic in a
// lifecycle handler. Each spawn gets its own mailbox with a flushTrigger,
// which starts the group commits.
func Props(cfg Config, logger *zap.Logger) *actor.Props {
	if logger == nil {
		logger = zap.NewNop()
	}
	logger = logger.Named("store")
	return actor.PropsFromProducer(
		func() actor.Actor { return newStoreActor(cfg, logger) },
		actor.WithReceiverMiddleware(lifecycle.RecoverLifecycle(logger)),
		actor.WithMailbox(newFlushingMailbox),
	)
}
