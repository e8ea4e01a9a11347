package telegram

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"golang.org/x/time/rate"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// Name is the platform name of Telegram.
const Name = "telegram"

// CursorName is the name of the last acknowledged update_id in the
// sessions store's platform state.
const CursorName = "last_update_id"

// MessageLimit is the Bot API's limit on a message, in UTF-16 code units.
const MessageLimit = 4096

// DefaultLimits follow the Bot API's advice: about one message per second
// in a chat, with short bursts, and 30 per second over all chats.
var DefaultLimits = chat.Limits{
	PerChat: rate.Limit(1), PerChatBurst: 3, Global: rate.Limit(30), GlobalBurst: 30,
}

// Settings configures the adapter.
type Settings struct {
	Telegram config.TelegramConfig
	Sessions config.SessionsConfig
	// AgentTimeout bounds one agent run.
	AgentTimeout time.Duration
	// Limits bounds the outgoing rate; the zero value uses DefaultLimits.
	Limits chat.Limits
	// Retry sets how failed sends are retried; zero fields use
	// chat.DefaultRetry.
	Retry chat.RetryPolicy
	// TypingInterval is how often the typing indicator is renewed while
	// the agent works; zero uses chat.DefaultTypingInterval.
	TypingInterval time.Duration
}

func (s Settings) withDefaults() Settings {
	if s.Limits == (chat.Limits{}) {
		s.Limits = DefaultLimits
	}
	if s.Telegram.PollTimeout <= 0 {
		s.Telegram.PollTimeout = config.DefaultTelegramPollTimeout
	}
	if s.Telegram.BaseURL == "" {
		s.Telegram.BaseURL = config.DefaultTelegramBaseURL
	}
	s.Telegram.Token = strings.TrimSpace(s.Telegram.Token)
	s.Telegram.BaseURL = strings.TrimSuffix(s.Telegram.BaseURL, "/")
	return s
}

// Platform returns the gateway's description of the Telegram platform.
// Rejected is set when the settings cannot work (a placeholder token), so
// that the gateway marks the platform fatal without starting anything.
func Platform(settings Settings) gateway.Platform {
	return gateway.Platform{
		Name:         Name,
		Fingerprint:  fingerprint(settings),
		Rejected:     checkSettings(settings.withDefaults()),
		UsesSessions: true,
		NewActor:     func(env gateway.Env) actor.Actor { return New(settings, env) },
	}
}

// checkSettings returns the fatal error that keeps the adapter from
// starting, or nil. It opens nothing.
func checkSettings(s Settings) *messages.PlatformError {
	if enr := s.Telegram.Enrollment(); enr.Status != config.Enrolled {
		return &messages.PlatformError{Platform: Name, Code: CodeTokenInvalid, Message: enr.Reason +
			"; a reload (SIGHUP) applies the fix"}
	}
	u, err := url.Parse(s.Telegram.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid,
			Message: "the Bot API base URL is not an absolute http or https URL; set " +
				"TELEGRAM_BASE_URL (platforms.telegram.base_url), such as " +
				config.DefaultTelegramBaseURL + ", then reload with SIGHUP",
		}
	}
	return nil
}

// fingerprint identifies the settings, so that a reload restarts the
// adapter only when one of them changed. It is a hash: the token never
// appears in it, but a changed token changes it.
func fingerprint(s Settings) string {
	type plain config.TelegramConfig
	b, err := json.Marshal(struct {
		Telegram plain
		Sessions config.SessionsConfig
		Timeout  time.Duration
		Limits   chat.Limits
	}{plain(s.Telegram), s.Sessions, s.AgentTimeout, s.Limits})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
