// Package config defines actorgate's configuration and loads it from a data
// folder: config.yaml, a .env file beside it, and environment variables
// with the names operators of similar gateways already use.
//
// A Config can also be built in code, which is how a host that embeds the
// gateway configures it; Default returns one with every default filled in.
package config

import "time"

// Defaults.
const (
	DefaultAPIHost         = "127.0.0.1"
	DefaultAPIPort         = 8642
	DefaultModelName       = "actorgate"
	DefaultMaxResponses    = 10_000
	DefaultBackoffBase     = time.Second
	DefaultBackoffCap      = 5 * time.Minute
	DefaultAttentionAfter  = 2 * time.Hour
	DefaultShutdownGrace   = 10 * time.Second
	DefaultAgentTimeout    = 5 * time.Minute
	DefaultIdempotencyTTL  = 24 * time.Hour
	DefaultKeepAlive       = 30 * time.Second
	MinAPIKeyLength        = 16
	DefaultMaxRequestBytes = 10_000_000
)

// Config is the whole configuration of one gateway.
type Config struct {
	// Home is the data folder: config.yaml, .env and the databases live
	// here. Empty means no files are read or written by Load; databases
	// then need explicit paths.
	Home      string          `yaml:"-"`
	Gateway   GatewayConfig   `yaml:"gateway"`
	Agent     AgentConfig     `yaml:"agent"`
	Platforms PlatformsConfig `yaml:"platforms"`
}

// GatewayConfig sets how the gateway supervises its platforms.
type GatewayConfig struct {
	// BackoffBase is the first restart delay after a retryable failure.
	BackoffBase time.Duration `yaml:"backoff_base"`
	// BackoffCap is the largest restart delay.
	BackoffCap time.Duration `yaml:"backoff_cap"`
	// AttentionAfter is how long a platform may keep failing before its
	// status shows needs_attention.
	AttentionAfter time.Duration `yaml:"attention_after"`
	// ShutdownGrace is how long in-flight requests may run after SIGTERM.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// MetricsAddr is the loopback host:port of the listener that serves
	// GET /metrics. Empty, the default, starts no metrics listener.
	MetricsAddr string `yaml:"metrics_addr"`
}

// Agent backends.
const (
	BackendEcho   = "echo"
	BackendOpenAI = "openai"
)

// AgentConfig selects and configures the agent backend.
type AgentConfig struct {
	// Backend is "echo" (default, offline) or "openai" (any
	// OpenAI-compatible upstream).
	Backend string `yaml:"backend"`
	// BaseURL of the upstream, ending in /v1, for example
	// http://127.0.0.1:8000/v1.
	BaseURL string `yaml:"base_url"`
	// APIKey sent to the upstream as a bearer token; may be empty.
	APIKey string `yaml:"api_key"`
	// Model, when set, is sent upstream in place of the model the client
	// asked for. Empty passes the client's model through.
	Model string `yaml:"model"`
	// Timeout bounds one upstream run.
	Timeout time.Duration `yaml:"timeout"`
}

// ChangedFrom returns the environment variable names of the settings in
// which a differs from old, in the order of AgentConfig's fields.
func (a AgentConfig) ChangedFrom(old AgentConfig) []string {
	var names []string
	for _, f := range []struct {
		name    string
		changed bool
	}{
		{"AGENT_BACKEND", a.Backend != old.Backend},
		{"AGENT_BASE_URL", a.BaseURL != old.BaseURL},
		{"AGENT_API_KEY", a.APIKey != old.APIKey},
		{"AGENT_MODEL", a.Model != old.Model},
		{"AGENT_TIMEOUT", a.Timeout != old.Timeout},
	} {
		if f.changed {
			names = append(names, f.name)
		}
	}
	return names
}

// PlatformsConfig holds one block per platform.
type PlatformsConfig struct {
	APIServer APIServerConfig `yaml:"api_server"`
	Telegram  TelegramConfig  `yaml:"telegram"`
	IRC       IRCConfig       `yaml:"irc"`
	Matrix    MatrixConfig    `yaml:"matrix"`
	Webhook   WebhookConfig   `yaml:"webhook"`
	// Sessions sets how the chat platforms keep conversation history.
	Sessions SessionsConfig `yaml:"sessions"`
}

// APIServerConfig configures the OpenAI-compatible HTTP API.
type APIServerConfig struct {
	// Enabled, when set, wins over everything else: false keeps the
	// platform off even with a key in the environment.
	Enabled *bool  `yaml:"enabled"`
	Host    string `yaml:"host"`
	Port    int    `yaml:"port"`
	// Key is the bearer key clients must send; at least 16 characters and
	// not a placeholder.
	Key string `yaml:"key"`
	// KeyFrom is the source of Key: KeyFromEnvironment, or the path of the
	// .env file or of config.yaml. It is empty when no key is set.
	KeyFrom     string   `yaml:"-"`
	CORSOrigins []string `yaml:"cors_origins"`
	// ModelName is the model id /v1/models advertises.
	ModelName string `yaml:"model_name"`
	// MaxResponses bounds the stored responses. A write that would exceed
	// it evicts the least recently used down to 1% below it.
	MaxResponses int `yaml:"max_responses"`
	// DBPath is the responses database; empty means Home/responses.db.
	DBPath string `yaml:"db_path"`
	// MaxRequestBytes bounds a request body.
	MaxRequestBytes int64 `yaml:"max_request_bytes"`
	// KeepAlive is the idle time after which a stream sends an SSE comment.
	KeepAlive time.Duration `yaml:"keepalive"`
	// IdempotencyTTL is how long an Idempotency-Key answer is kept.
	IdempotencyTTL time.Duration `yaml:"idempotency_ttl"`
	// MetricsPublic serves GET /metrics on the API listener without the
	// bearer key. False, the default, asks for the key.
	MetricsPublic bool `yaml:"metrics_public"`
}

// Default returns a configuration with every default filled in and no
// platform enrolled.
func Default() Config {
	return Config{
		Gateway: GatewayConfig{
			BackoffBase:    DefaultBackoffBase,
			BackoffCap:     DefaultBackoffCap,
			AttentionAfter: DefaultAttentionAfter,
			ShutdownGrace:  DefaultShutdownGrace,
		},
		Agent: AgentConfig{
			Backend: BackendEcho,
			Timeout: DefaultAgentTimeout,
		},
		Platforms: PlatformsConfig{
			APIServer: APIServerConfig{
				Host:            DefaultAPIHost,
				Port:            DefaultAPIPort,
				ModelName:       DefaultModelName,
				MaxResponses:    DefaultMaxResponses,
				MaxRequestBytes: DefaultMaxRequestBytes,
				KeepAlive:       DefaultKeepAlive,
				IdempotencyTTL:  DefaultIdempotencyTTL,
			},
			Telegram: defaultTelegram(),
			IRC:      defaultIRC(),
			Webhook:  defaultWebhook(),
			Sessions: defaultSessions(),
		},
	}
}
