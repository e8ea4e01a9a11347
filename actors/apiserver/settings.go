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
	if s.API.Host == "" {
		return &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid,
			Message: "API server host is empty; set API_SERVER_HOST (platforms.api_server.host), " +
				"for example 127.0.0.1, then reload with SIGHUP",
		}
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
