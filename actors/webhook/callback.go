package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/actorgate/actorgate/actors/chat"
)

// callbackTimeout bounds one callback attempt.
const callbackTimeout = 30 * time.Second

// callbackRetry retries a callback that failed with a network error or a
// 5xx or 429 status.
var callbackRetry = chat.RetryPolicy{
	Attempts: 5, Base: time.Second, Max: 30 * time.Second, MaxWait: 5 * time.Minute,
}

// callbackClient posts answers to callback URLs. It follows no redirect,
// so an allowed endpoint cannot send the gateway to another host.
type callbackClient struct {
	http *http.Client
}

func newCallbackClient() *callbackClient {
	return &callbackClient{http: &http.Client{
		Timeout: callbackTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// post sends reply to u, signed with the shared secret, and retries
// transient failures.
func (c *callbackClient) post(ctx context.Context, u *url.URL, s Settings, reply Reply) error {
	body, err := json.Marshal(reply)
	if err != nil {
		return fmt.Errorf("encoding callback: %w", err)
	}
	send := func(ctx context.Context, _ chat.Outgoing) (string, error) {
		return "", c.once(ctx, u, s, body)
	}
	sender := chat.NewSender(send, chat.Limits{}, callbackRetry, nil)
	_, err = sender.Send(ctx, chat.Outgoing{ChatID: reply.ChatID})
	return err
}

// once makes one attempt. Each attempt is signed anew, so that the
// receiver can reject replays by signature.
func (c *callbackClient) once(ctx context.Context, u *url.URL, s Settings, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return chat.Permanent(err)
	}
	ts, sig := Sign(s.Webhook.Secret, s.Now(), body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, sig)
	resp, err := c.http.Do(req) //nolint:gosec // G704: the origin is on the operator's allowlist
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("%w: status %d", ErrCallbackFailed, resp.StatusCode)
	}
	return chat.Permanent(fmt.Errorf("%w: status %d", ErrCallbackFailed, resp.StatusCode))
}
