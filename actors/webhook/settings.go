package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// Name is the platform name of the webhook.
const Name = "webhook"

// Defaults applied to zero Settings fields.
const (
	// DefaultPartLimit is the length, in characters, at which an answer is
	// split into the parts of the response.
	DefaultPartLimit = 4096
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes = 1 << 20
)

// Settings configures the adapter.
type Settings struct {
	Webhook  config.WebhookConfig
	Sessions config.SessionsConfig
	// AgentTimeout bounds one agent run.
	AgentTimeout time.Duration
	// PartLimit is the length at which answers are split; zero means
	// DefaultPartLimit.
	PartLimit int
	// Grace is how long requests and callbacks in flight may run when the
	// adapter stops or restarts.
	Grace time.Duration
	// Now returns the current time; nil uses time.Now. Tests move the
	// clock to check the replay window.
	Now func() time.Time
	// Listen opens the listener; nil uses net.Listen. Tests inject a
	// listener they can break.
	Listen func(network, address string) (net.Listener, error)
}

func (s Settings) withDefaults() Settings {
	if s.PartLimit <= 0 {
		s.PartLimit = DefaultPartLimit
	}
	if s.AgentTimeout <= 0 {
		s.AgentTimeout = config.DefaultAgentTimeout
	}
	if s.Webhook.ReplayWindow <= 0 {
		s.Webhook.ReplayWindow = config.DefaultWebhookReplayWindow
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Listen == nil {
		s.Listen = net.Listen
	}
	return s
}

// checkSettings returns the fatal error that keeps the adapter from
// starting, or nil. It opens nothing.
func checkSettings(s Settings) *messages.PlatformError {
	if enr := s.Webhook.Enrollment(); enr.Status == config.Fatal {
		return &messages.PlatformError{Platform: Name, Code: CodeSecretInvalid, Message: enr.Reason}
	}
	if !config.UsableSecret(s.Webhook.Secret, config.MinWebhookSecretLength) {
		return &messages.PlatformError{
			Platform: Name, Code: CodeSecretInvalid,
			Message: fmt.Sprintf("the webhook secret is missing, shorter than %d characters or "+
				"a placeholder; set WEBHOOK_SECRET (platforms.webhook.secret), then reload with "+
				"SIGHUP", config.MinWebhookSecretLength),
		}
	}
	if s.Webhook.Port < 1 || s.Webhook.Port > 65535 || s.Webhook.Host == "" {
		return &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid,
			Message: fmt.Sprintf("webhook address %q is invalid; set WEBHOOK_HOST and "+
				"WEBHOOK_PORT (1-65535), then reload with SIGHUP", s.Webhook.Addr()),
		}
	}
	return nil
}

// fingerprint identifies the settings, so that a reload restarts the
// adapter only when one of them changed. It is a hash: the secret never
// appears in it, but a changed secret changes it.
func fingerprint(s Settings) string {
	type plain config.WebhookConfig
	b, err := json.Marshal(struct {
		Webhook   plain
		Sessions  config.SessionsConfig
		Timeout   time.Duration
		Grace     time.Duration
		PartLimit int
	}{plain(s.Webhook), s.Sessions, s.AgentTimeout, s.Grace, s.PartLimit})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
