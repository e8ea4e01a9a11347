package chat

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// Outgoing is one message an adapter sends to a chat.
type Outgoing struct {
	ChatID   string
	ThreadID string
	// ReplyTo is the platform's id of the message answered, if any.
	ReplyTo string
	Text    string
}

// SendFunc sends one message and returns the platform's id for it. It
// returns an error wrapped with Permanent for a failure a retry cannot
// fix, a *RetryAfterError when the platform asked to wait, and any other
// error for a transient failure that is retried with backoff.
type SendFunc func(ctx context.Context, out Outgoing) (messageID string, err error)

// Limits bounds the outgoing message rate. A zero rate means unlimited.
type Limits struct {
	// PerChat and PerChatBurst limit each chat.
	PerChat      rate.Limit
	PerChatBurst int
	// Global and GlobalBurst limit all chats together.
	Global      rate.Limit
	GlobalBurst int
}

// RetryPolicy sets how transient send errors are retried: up to Attempts
// tries in all, with exponential backoff from Base to Max and full
// jitter. A RetryAfterError waits the time it names, up to MaxWait.
type RetryPolicy struct {
	Attempts int
	Base     time.Duration
	Max      time.Duration
	// MaxWait bounds a wait that a platform requests. A longer one fails
	// the send at once.
	MaxWait time.Duration
}

// DefaultRetry is the policy used for zero RetryPolicy fields.
var DefaultRetry = RetryPolicy{
	Attempts: 5,
	Base:     500 * time.Millisecond,
	Max:      30 * time.Second,
	MaxWait:  5 * time.Minute,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultRetry.Attempts
	}
	if p.Base <= 0 {
		p.Base = DefaultRetry.Base
	}
	if p.Max <= 0 {
		p.Max = DefaultRetry.Max
	}
	if p.MaxWait <= 0 {
		p.MaxWait = DefaultRetry.MaxWait
	}
	return p
}

// backoff returns the jittered delay before retry n (from 1).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.Base
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return time.Duration(rand.Float64() * float64(d)) //nolint:gosec // G404: jitter, not a secret
}

// chatLimiterIdle is how long a chat's limiter may go unused before it is
// dropped. A new one starts with a full burst, which an idle chat has
// anyway.
const chatLimiterIdle = 10 * time.Minute

// Sender sends messages through a SendFunc, waiting for the rate limits
// and retrying transient errors. It is safe for concurrent use.
type Sender struct {
	send   SendFunc
	limits Limits
	retry  RetryPolicy
	log    *zap.Logger
	global *rate.Limiter

	mu    sync.Mutex
	chats map[string]*chatLimiter
}

type chatLimiter struct {
	limiter  *rate.Limiter
	lastUsed time.Time
}

// NewSender returns a Sender. A nil logger logs nothing.
func NewSender(send SendFunc, limits Limits, retry RetryPolicy, log *zap.Logger) *Sender {
	if log == nil {
		log = zap.NewNop()
	}
	s := &Sender{
		send: send, limits: limits, retry: retry.withDefaults(), log: log,
		chats: make(map[string]*chatLimiter),
	}
	if limits.Global > 0 {
		s.global = rate.NewLimiter(limits.Global, max(limits.GlobalBurst, 1))
	}
	return s
}

// Send sends out and returns the platform's message id. It returns an
// error wrapping ErrSendFailed when the message could not be sent, or the
// context's error when ctx ended first.
func (s *Sender) Send(ctx context.Context, out Outgoing) (string, error) {
	for attempt := 1; ; attempt++ {
		if err := s.wait(ctx, out.ChatID); err != nil {
			return "", err
		}
		id, err := s.send(ctx, out)
		if err == nil {
			return id, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		delay, retry := s.nextDelay(attempt, err)
		if !retry {
			return "", fmt.Errorf("%w: chat %s after %d attempts: %w",
				ErrSendFailed, out.ChatID, attempt, err)
		}
		s.log.Warn("sending message failed; retrying", zap.String("chat_id", out.ChatID),
			zap.Int("attempt", attempt), zap.Duration("retry_in", delay), zap.Error(err))
		if err := sleep(ctx, delay); err != nil {
			return "", err
		}
	}
}

// nextDelay returns the wait before the next attempt, and false when err
// must not be retried.
func (s *Sender) nextDelay(attempt int, err error) (time.Duration, bool) {
	if errors.Is(err, ErrPermanent) || attempt >= s.retry.Attempts {
		return 0, false
	}
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After, ra.After <= s.retry.MaxWait
	}
	return s.retry.backoff(attempt), true
}

// wait blocks until both the chat's and the global limiter allow a
// message.
func (s *Sender) wait(ctx context.Context, chatID string) error {
	if l := s.chatLimiter(chatID); l != nil {
		if err := l.Wait(ctx); err != nil {
			return ctxErr(ctx, err)
		}
	}
	if s.global != nil {
		if err := s.global.Wait(ctx); err != nil {
			return ctxErr(ctx, err)
		}
	}
	return nil
}

// ctxErr returns the context's error when it ended, else err: a limiter
// reports a wait longer than the deadline before the deadline passes.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (s *Sender) chatLimiter(chatID string) *rate.Limiter {
	if s.limits.PerChat <= 0 {
		return nil
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chats[chatID]
	if !ok {
		if len(s.chats) >= 256 {
			s.pruneLimiters(now)
		}
		c = &chatLimiter{limiter: rate.NewLimiter(s.limits.PerChat, max(s.limits.PerChatBurst, 1))}
		s.chats[chatID] = c
	}
	c.lastUsed = now
	return c.limiter
}

func (s *Sender) pruneLimiters(now time.Time) {
	for id, c := range s.chats {
		if now.Sub(c.lastUsed) > chatLimiterIdle {
			delete(s.chats, id)
		}
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
