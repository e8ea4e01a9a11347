package matrix

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// Name is the platform name of the Matrix adapter.
const Name = "matrix"

// Defaults applied to zero Settings fields.
const (
	// DefaultLimit is the longest message the adapter sends, in UTF-8
	// bytes. Longer answers are split. The Matrix spec caps a whole event
	// at 65536 bytes of JSON, and JSON escaping can double the size of a
	// text of quotes and backslashes, so 16000 bytes leave room for both.
	DefaultLimit = 16000
	// DefaultSyncTimeout is how long one /sync request waits for events.
	DefaultSyncTimeout = 30 * time.Second
	// DefaultRequestTimeout bounds every other request to the homeserver.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultTimelineLimit is the most events of one room a sync returns.
	DefaultTimelineLimit = 100
)

// DefaultLimits bounds the outgoing message rate when Settings.Limits is
// nil: one message a second per room after a burst of five, and five a
// second in all after a burst of ten. The numbers are an estimate that
// stays below the default rate limits of Synapse and Dendrite for a
// normal user.
var DefaultLimits = chat.Limits{PerChat: 1, PerChatBurst: 5, Global: 5, GlobalBurst: 10}

// allowlistSetting names the allowlist in refusals and log lines.
const allowlistSetting = "MATRIX_ALLOWED_USERS"

// reloadHint ends every fatal error message.
const reloadHint = ", then reload with SIGHUP or restart"

// Settings configures the adapter.
type Settings struct {
	Matrix config.MatrixConfig
	// Sessions supplies the history length and whether group rooms keep
	// one conversation per user.
	Sessions config.SessionsConfig
	// AgentTimeout bounds one agent run. Zero means the chat default.
	AgentTimeout time.Duration
	// SyncTimeout is how long one /sync request waits for events. Zero
	// means DefaultSyncTimeout.
	SyncTimeout time.Duration
	// RequestTimeout bounds every request except /sync. Zero means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Limit is the longest message sent, in UTF-8 bytes. Zero means
	// DefaultLimit.
	Limit int
	// Limits bounds the outgoing message rate, DefaultLimits when nil.
	Limits *chat.Limits
	// Retry sets how failed sends are retried. Zero fields take
	// chat.DefaultRetry's values.
	Retry chat.RetryPolicy
}

// withDefaults fills the zero fields.
func (s Settings) withDefaults() Settings {
	if s.SyncTimeout == 0 {
		s.SyncTimeout = DefaultSyncTimeout
	}
	if s.RequestTimeout == 0 {
		s.RequestTimeout = DefaultRequestTimeout
	}
	if s.Limit == 0 {
		s.Limit = DefaultLimit
	}
	if s.Limits == nil {
		limits := DefaultLimits
		s.Limits = &limits
	}
	return s
}

// Platform returns the gateway's description of the Matrix platform.
// Rejected is set when the settings cannot work, so that the gateway
// marks the platform fatal without starting anything.
func Platform(settings Settings) gateway.Platform {
	p := gateway.Platform{
		Name:         Name,
		Fingerprint:  fingerprint(settings),
		UsesSessions: true,
		NewActor:     func(env gateway.Env) actor.Actor { return New(settings, env) },
	}
	if perr := checkSettings(settings); perr != nil {
		p.Rejected = perr
	}
	return p
}

// checkSettings returns the fatal error that keeps the adapter from
// starting, or nil. It opens nothing.
func checkSettings(s Settings) *messages.PlatformError {
	m := s.Matrix
	if problem := checkHomeserver(m.Homeserver); problem != "" {
		return invalid(CodeConfigInvalid, "Matrix homeserver "+problem+"; set MATRIX_HOMESERVER "+
			"(platforms.matrix.homeserver) to the client API's base URL, such as "+
			"https://matrix.example.org")
	}
	if !validUserID(m.UserID) {
		return invalid(CodeConfigInvalid, fmt.Sprintf("Matrix user id %q is not a full user id; "+
			"set MATRIX_USER_ID (platforms.matrix.user_id) to @localpart:server, such as "+
			"@bot:example.org", m.UserID))
	}
	if perr := checkCredentials(m); perr != nil {
		return perr
	}
	for i, u := range m.AllowedUsers {
		if !validUserID(strings.TrimSpace(u)) {
			return invalid(CodeConfigInvalid, fmt.Sprintf("entry %d of MATRIX_ALLOWED_USERS "+
				"(platforms.matrix.allowed_users), %q, is not a full user id; write "+
				"@localpart:server, such as @alice:example.org", i+1, u))
		}
	}
	return checkDurations(s)
}

func checkCredentials(m config.MatrixConfig) *messages.PlatformError {
	token, password := strings.TrimSpace(m.AccessToken), m.Password
	switch {
	case token == "" && password == "":
		return invalid(CodeConfigInvalid, "Matrix has neither an access token nor a password; "+
			"set MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD (platforms.matrix.access_token or password)")
	case token != "" && !config.UsableSecret(token, 1):
		return invalid(CodeTokenInvalid, "Matrix access token is a placeholder; set "+
			"MATRIX_ACCESS_TOKEN (platforms.matrix.access_token) to the bot's access token")
	case token == "" && !config.UsableSecret(password, 1):
		return invalid(CodeLoginFailed, "Matrix password is a placeholder; set MATRIX_PASSWORD "+
			"(platforms.matrix.password) to the bot account's password")
	}
	return nil
}

func checkDurations(s Settings) *messages.PlatformError {
	switch {
	case s.AgentTimeout < 0:
		return invalid(CodeConfigInvalid, fmt.Sprintf("agent.timeout is %s; set a positive "+
			"duration such as %s", s.AgentTimeout, config.DefaultAgentTimeout))
	case s.SyncTimeout < 0 || s.RequestTimeout < 0:
		return invalid(CodeConfigInvalid, "the Matrix sync and request timeouts must not be "+
			"negative; leave them zero for the defaults")
	case s.Limit < 0:
		return invalid(CodeConfigInvalid, fmt.Sprintf("the Matrix message limit is %d; set a "+
			"positive number of bytes or zero for %d", s.Limit, DefaultLimit))
	}
	return nil
}

func invalid(code, msg string) *messages.PlatformError {
	return &messages.PlatformError{Platform: Name, Code: code, Message: msg + reloadHint}
}

// checkHomeserver returns what is wrong with a homeserver URL, or "".
func checkHomeserver(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "is not set"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a URL (%v)", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q does not start with https:// or http://", raw)
	case u.Host == "":
		return fmt.Sprintf("%q has no host", raw)
	case u.User != nil:
		return fmt.Sprintf("%q contains credentials; put the token in MATRIX_ACCESS_TOKEN",
			redactURL(u))
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Sprintf("%q has a query or fragment", raw)
	}
	return ""
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// validUserID reports whether id has the shape @localpart:server.
func validUserID(id string) bool {
	local, server, ok := strings.Cut(strings.TrimPrefix(id, "@"), ":")
	return strings.HasPrefix(id, "@") && ok && local != "" && server != "" &&
		!strings.ContainsAny(id, " \t\r\n")
}

// fingerprintSalt keeps the fingerprint from being an unsalted hash of
// the password or token, should it ever be shown.
var fingerprintSalt = func() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b
}()

// fingerprint identifies the settings, so that a reload restarts the
// adapter only when one of them changed. The secrets are part of it (a
// new token must restart the adapter), hashed with a per-process salt.
func fingerprint(s Settings) string {
	m := s.Matrix
	b, err := json.Marshal(struct {
		Homeserver, UserID                        string
		AllowedUsers                              []string
		AllowAllUsers                             bool
		Sessions                                  config.SessionsConfig
		AgentTimeout, SyncTimeout, RequestTimeout int64
		Limit                                     int
		Limits                                    *chat.Limits
		Retry                                     chat.RetryPolicy
	}{
		m.Homeserver, m.UserID, m.AllowedUsers, m.AllowAllUsers, s.Sessions,
		int64(s.AgentTimeout), int64(s.SyncTimeout), int64(s.RequestTimeout),
		s.Limit, s.Limits, s.Retry,
	})
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, part := range [][]byte{fingerprintSalt, b, []byte(m.AccessToken), []byte(m.Password)} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
