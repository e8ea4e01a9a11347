package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/actorgate/actorgate/messages"
)

// cursorTimeout bounds the request for the stored cursor.
const cursorTimeout = 30 * time.Second

// Messages the poller sends to the adapter.
type (
	// loggedIn: getMe succeeded with the bot's user, and polling starts.
	loggedIn struct{ me *models.User }
	// updatesReceived: a batch of updates to handle. The poller waits for
	// the adapter to send the next offset on next before polling again.
	updatesReceived struct{ updates []models.Update }
	// pollFailed: the poller stopped on an error.
	pollFailed struct{ err *messages.PlatformError }
)

// poller reads updates with getUpdates on its own goroutine.
type poller struct {
	api     *apiClient
	bot     *bot.Bot
	root    *actor.RootContext
	self    *actor.PID
	store   *actor.PID
	timeout time.Duration
	// next receives the offset of the next poll, once the adapter has
	// handled a batch and stored its cursor.
	next chan int64
}

// run logs in, reads the cursor, then polls until ctx ends or a poll
// fails. Every outcome is sent to the adapter.
func (p *poller) run(ctx context.Context) {
	me, err := p.bot.GetMe(ctx)
	if err != nil {
		p.fail(ctx, loginError(err))
		return
	}
	offset, perr := p.initialOffset()
	if perr != nil {
		p.fail(ctx, perr)
		return
	}
	p.root.Send(p.self, &loggedIn{me: me})
	for {
		updates, err := p.api.getUpdates(ctx, offset, p.timeout)
		if ctx.Err() != nil {
			return
		}
		var tooMany *bot.TooManyRequestsError
		switch {
		case errors.As(err, &tooMany):
			if sleep(ctx, time.Duration(tooMany.RetryAfter)*time.Second) != nil {
				return
			}
			continue
		case err != nil:
			p.fail(ctx, pollError(err))
			return
		case len(updates) == 0:
			continue
		}
		p.root.Send(p.self, &updatesReceived{updates: updates})
		select {
		case offset = <-p.next:
		case <-ctx.Done():
			return
		}
	}
}

func (p *poller) fail(ctx context.Context, perr *messages.PlatformError) {
	if ctx.Err() == nil {
		p.root.Send(p.self, &pollFailed{err: perr})
	}
}

// initialOffset returns the offset that acknowledges every update up to
// the stored cursor, or 0 (every unconfirmed update) without one.
func (p *poller) initialOffset() (int64, *messages.PlatformError) {
	res, err := p.root.RequestFuture(p.store, &messages.GetCursor{
		Platform: Name, Name: CursorName,
	}, cursorTimeout).Result()
	reply, ok := res.(*messages.GetCursorReply)
	if err == nil && !ok {
		err = fmt.Errorf("unexpected reply %T", res)
	}
	if err == nil {
		err = reply.Err
	}
	if err != nil {
		return 0, &messages.PlatformError{
			Platform: Name, Code: CodeCursorUnavailable, Retryable: true, Cause: err,
			Message: "reading the last acknowledged update_id from the sessions store failed; " +
				"polling waits for it so that no message is answered twice",
		}
	}
	if !reply.Found {
		return 0, nil
	}
	last, err := strconv.ParseInt(reply.Value, 10, 64)
	if err != nil {
		return 0, nil
	}
	return last + 1, nil
}

// apiClient calls getUpdates, which go-telegram/bot v1.19.0 does not
// export: its own polling loop confirms updates before the handlers have
// run, so a crash could lose them.
type apiClient struct {
	http  *http.Client
	base  string
	token string
}

// apiEnvelope is the Bot API's response object.
type apiEnvelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates long-polls for updates from offset on, waiting up to
// timeout. Its errors never contain the token.
func (c *apiClient) getUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]models.Update, error) {
	body, _ := json.Marshal(map[string]any{
		"offset": offset, "timeout": int(timeout / time.Second),
		"allowed_updates": []string{"message"},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		c.base+"/bot"+c.token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("building the getUpdates request failed")
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %s", strings.ReplaceAll(err.Error(), c.token, "***"))
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: reading the response: %w", err)
	}

	var env apiEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: getUpdates returned status %d with a body that is not "+
			"the Bot API's JSON", errServer, resp.StatusCode)
	}
	if !env.OK {
		return nil, envelopeError(env)
	}
	var updates []models.Update
	if err := json.Unmarshal(env.Result, &updates); err != nil {
		return nil, fmt.Errorf("%w: getUpdates result is not a list of updates", errServer)
	}
	return updates, nil
}

func envelopeError(env apiEnvelope) error {
	switch env.ErrorCode {
	case http.StatusUnauthorized, http.StatusNotFound:
		return fmt.Errorf("%w: %d %s", errUnauthorized, env.ErrorCode, env.Description)
	case http.StatusConflict:
		return fmt.Errorf("%w: %s", errConflict, env.Description)
	case http.StatusTooManyRequests:
		return &bot.TooManyRequestsError{Message: env.Description, RetryAfter: env.Parameters.RetryAfter}
	}
	return fmt.Errorf("%w: %d %s", errServer, env.ErrorCode, env.Description)
}

// loginError types a failed getMe.
func loginError(err error) *messages.PlatformError {
	if errors.Is(err, bot.ErrorUnauthorized) || errors.Is(err, bot.ErrorNotFound) {
		return tokenRejected(err)
	}
	return unreachable("logging in with getMe failed", err)
}

// pollError types a failed getUpdates.
func pollError(err error) *messages.PlatformError {
	switch {
	case errors.Is(err, errUnauthorized):
		return tokenRejected(err)
	case errors.Is(err, errConflict):
		return &messages.PlatformError{
			Platform: Name, Code: CodeConflict, Cause: err,
			Message: "another program is reading this bot's updates (409 Conflict): stop the " +
				"other instance, or delete the bot's webhook with deleteWebhook, then resume " +
				"the platform or reload with SIGHUP",
		}
	}
	return unreachable("polling for updates failed", err)
}

func tokenRejected(err error) *messages.PlatformError {
	return &messages.PlatformError{
		Platform: Name, Code: CodeTokenInvalid, Cause: err,
		Message: "the Bot API rejected the bot token; set TELEGRAM_BOT_TOKEN " +
			"(platforms.telegram.token) to the token from @BotFather, then reload with SIGHUP",
	}
}

func unreachable(what string, err error) *messages.PlatformError {
	return &messages.PlatformError{
		Platform: Name, Code: CodeUnreachable, Retryable: true, Cause: err,
		Message: what + "; the gateway retries with backoff",
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
