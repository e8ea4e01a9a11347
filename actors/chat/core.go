package chat

import (
	"context"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// Defaults applied to zero Config fields.
const (
	DefaultAgentTimeout   = config.DefaultAgentTimeout
	DefaultTypingInterval = 4 * time.Second
	// DefaultCloseWait bounds how long Close waits for the turns it
	// cancelled.
	DefaultCloseWait = 10 * time.Second
)

// Config configures the chat logic of one adapter.
type Config struct {
	// Platform is the platform name, such as telegram; it is the
	// platform part of session keys and InboundMessage.Platform.
	Platform string
	// Gateway fills InboundMessage.Gateway when the adapter left it empty.
	Gateway string
	Access  Access
	// HistoryLength bounds the turns sent to the agent with each message;
	// zero uses the sessions store's setting.
	HistoryLength int
	// GroupSessionsPerUser keeps one session per user in group chats.
	GroupSessionsPerUser bool
	// AgentTimeout bounds one agent run.
	AgentTimeout time.Duration
	// Limit is the longest message the platform accepts, in Unit; longer
	// answers are split. Zero sends answers whole.
	Limit  int
	Unit   Unit
	Limits Limits
	Retry  RetryPolicy
	// RefusalInterval is the least time between two refusals to one user.
	RefusalInterval time.Duration
	// Typing, if set, is called when the agent starts working on a
	// message and then every TypingInterval until it answers, so the
	// platform can show a typing indicator. Its errors are logged at debug
	// level only.
	Typing         func(ctx context.Context, in messages.InboundMessage) error
	TypingInterval time.Duration
	// Now returns the current time; nil uses time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.AgentTimeout <= 0 {
		c.AgentTimeout = DefaultAgentTimeout
	}
	if c.RefusalInterval <= 0 {
		c.RefusalInterval = DefaultRefusalInterval
	}
	if c.TypingInterval <= 0 {
		c.TypingInterval = DefaultTypingInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Outcome is the way a message was handled.
type Outcome int

// Outcomes.
const (
	// Answered: the agent answered and the answer was sent (or, for a
	// silent job, is in Result.Reply).
	Answered Outcome = iota
	// Refused: the user is not allowed. Result.Reply holds the refusal
	// when one was due, and is empty when the user was refused within the
	// refusal interval already.
	Refused
	// Ignored: a command for another bot, or an empty message.
	Ignored
	// Reset: /new or /reset started a fresh session.
	Reset
	// Failed: the agent or the sessions store failed; Result.Reply holds
	// the apology sent to the user and Err the cause.
	Failed
)

// String returns the outcome in snake_case, as logs show it.
func (o Outcome) String() string {
	switch o {
	case Answered:
		return "answered"
	case Refused:
		return "refused"
	case Ignored:
		return "ignored"
	case Reset:
		return "reset"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Job is one inbound message for the core.
type Job struct {
	Message messages.InboundMessage
	// Done, if set, is called once the message is fully handled, from the
	// core's goroutine. It is not called when Close cancels the message
	// first, so an adapter that acknowledges messages in Done gets them
	// again after a restart.
	Done func(Result)
	// Silent makes the core send nothing: the adapter delivers
	// Result.Reply itself, as the webhook does in its HTTP response.
	Silent bool
}

// Result is the outcome of a Job.
type Result struct {
	Outcome Outcome
	// Reply is the text sent or to send: the answer, the refusal, the
	// reset confirmation or the apology. Empty when there is nothing.
	Reply string
	// Parts is Reply split at Config.Limit.
	Parts []string
	// MessageIDs are the platform's ids of the parts sent.
	MessageIDs []string
	// Err is the cause of a failed message or of a failed send.
	Err error
}

// Core is the chat logic every chat adapter shares: access control,
// commands, session history, the agent call, splitting and sending. An
// adapter builds one in *actor.Started and closes it from Restarting,
// Stopping and Stopped. Its methods are safe for concurrent use and never
// block on the network, so the adapter's mailbox stays free.
type Core struct {
	cfg      Config
	root     *actor.RootContext
	events   eventPublisher
	agent    *actor.PID
	sessions *actor.PID
	sender   *Sender
	log      *zap.Logger
	refused  *refusals

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	queues  map[string]*queue
	botName string
}

type eventPublisher interface{ Publish(evt any) }

// queue holds the jobs of one session key; one goroutine drains it, so
// the messages of a conversation are answered in order.
type queue struct {
	jobs []Job
}

// NewCore returns a core that sends through send. It starts no goroutine
// until a job arrives. env supplies the agent, the sessions store and the
// logger.
func NewCore(cfg Config, system *actor.ActorSystem, env gateway.Env, send SendFunc) *Core {
	cfg = cfg.withDefaults()
	log := env.Logger
	if log == nil {
		log = zap.NewNop()
	}
	if cfg.Gateway == "" {
		cfg.Gateway = env.Gateway
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Core{
		cfg:      cfg,
		root:     system.Root,
		events:   system.EventStream,
		agent:    env.Agent,
		sessions: env.Sessions,
		sender:   NewSender(send, cfg.Limits, cfg.Retry, log),
		log:      log,
		refused:  newRefusals(cfg.RefusalInterval),
		ctx:      ctx,
		cancel:   cancel,
		queues:   make(map[string]*queue),
	}
}

// SetBotName sets the bot's own name, so that /new@name is recognised as
// addressed to it and /new@other is ignored.
func (c *Core) SetBotName(name string) {
	c.mu.Lock()
	c.botName = name
	c.mu.Unlock()
}

// Sender returns the core's sender, for adapters that send messages of
// their own through the same rate limits.
func (c *Core) Sender() *Sender { return c.sender }

// Submit publishes the message on the actor system's event stream and
// queues it behind the earlier messages of its conversation. It returns
// ErrClosed after Close.
func (c *Core) Submit(job Job) error {
	if job.Message.Gateway == "" {
		job.Message.Gateway = c.cfg.Gateway
	}
	if job.Message.Platform == "" {
		job.Message.Platform = c.cfg.Platform
	}
	if job.Message.Time.IsZero() {
		job.Message.Time = c.cfg.Now()
	}
	key := SessionKey(job.Message, c.cfg.GroupSessionsPerUser)

	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	// Subscribers run synchronously inside Publish, so it is called
	// without the lock.
	msg := job.Message
	c.events.Publish(&msg)

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	q, ok := c.queues[key]
	if !ok {
		q = &queue{}
		c.queues[key] = q
		c.wg.Add(1)
		go c.drain(key, q)
	}
	q.jobs = append(q.jobs, job)
	return nil
}

// drain handles the jobs of one key in order and ends when the queue is
// empty or the core is closed.
func (c *Core) drain(key string, q *queue) {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if len(q.jobs) == 0 || c.ctx.Err() != nil {
			delete(c.queues, key)
			c.mu.Unlock()
			return
		}
		job := q.jobs[0]
		q.jobs[0] = Job{}
		q.jobs = q.jobs[1:]
		c.mu.Unlock()

		c.handle(key, job)
	}
}

// Go runs fn on a goroutine the core tracks: Close cancels its context and
// waits for it. It returns ErrClosed after Close.
func (c *Core) Go(fn func(ctx context.Context)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn(c.ctx)
	}()
	return nil
}

// Drain waits until no job is queued or running, or until timeout has
// passed, and reports whether the queues emptied. Submit keeps working
// meanwhile, so an adapter stops its input first.
func (c *Core) Drain(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		c.mu.Lock()
		idle := len(c.queues) == 0
		c.mu.Unlock()
		if idle {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close cancels every queued and running job and waits for the core's
// goroutines, at most DefaultCloseWait. It is safe to call more than once
// and on a nil Core.
func (c *Core) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	if already {
		return nil
	}
	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(DefaultCloseWait)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		c.log.Error("chat turns did not stop after cancellation",
			zap.Duration("waited", DefaultCloseWait))
		return ErrCloseTimeout
	}
}
