package apiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// checkSettings returns the fatal error that keeps the adapter from
// starting, or nil. It opens nothing.
func checkSettings(s Settings) *messages.PlatformError {
	if !config.UsableSecret(s.API.Key, config.MinAPIKeyLength) {
		return &messages.PlatformError{
			Platform: Name, Code: CodeKeyInvalid,
			Message: fmt.Sprintf("the API server key is shorter than %d characters or a placeholder; "+
				"set API_SERVER_KEY (or platforms.api_server.key) to a random key of at least %d "+
				"characters, then reload with SIGHUP or restart", config.MinAPIKeyLength,
				config.MinAPIKeyLength),
		}
	}
	if s.API.Port < 1 || s.API.Port > 65535 {
		return &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid,
			Message: fmt.Sprintf("API server port %d is invalid; set API_SERVER_PORT "+
				"(platforms.api_server.port) to 1-65535, then reload with SIGHUP", s.API.Port),
		}
	}
	if perr := checkLimits(s); perr != nil {
		return perr
	}
	if s.API.Host == "" {
		return &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid,
			Message: "API server host is empty; set API_SERVER_HOST (platforms.api_server.host), " +
				"for example 127.0.0.1, then reload with SIGHUP",
		}
	}
	return nil
}

// minRequestBytes is the smallest body limit that still fits a request.
const minRequestBytes = 1024

// checkLimits rejects the limits and durations the server cannot work
// with: each must be positive, and the body limit at least 1024 bytes.
func checkLimits(s Settings) *messages.PlatformError {
	bad := func(setting, value, fix string) *messages.PlatformError {
		return &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid,
			Message: fmt.Sprintf("%s is %s; set it to %s, then reload with SIGHUP", setting, value,
				fix),
		}
	}
	switch {
	case s.API.MaxRequestBytes < minRequestBytes:
		return bad("platforms.api_server.max_request_bytes", fmt.Sprint(s.API.MaxRequestBytes),
			fmt.Sprintf("%d or more (the default is %d)", minRequestBytes,
				config.DefaultMaxRequestBytes))
	case s.API.KeepAlive <= 0:
		return bad("platforms.api_server.keepalive", s.API.KeepAlive.String(),
			"a positive duration such as "+config.DefaultKeepAlive.String())
	case s.API.IdempotencyTTL <= 0:
		return bad("platforms.api_server.idempotency_ttl", s.API.IdempotencyTTL.String(),
			"a positive duration such as "+config.DefaultIdempotencyTTL.String())
	case s.AgentTimeout <= 0:
		return bad("agent.timeout", s.AgentTimeout.String(),
			"a positive duration such as "+config.DefaultAgentTimeout.String())
	}
	return nil
}

// fingerprint identifies the settings, so that a reload restarts the
// adapter only when one of them changed. It is a hash: the key never
// appears in it.
func fingerprint(s Settings) string {
	b, err := json.Marshal(struct {
		API          config.APIServerConfig
		Home         string
		AgentTimeout int64
		Grace        int64
	}{s.API, s.Home, int64(s.AgentTimeout), int64(s.Grace)})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
