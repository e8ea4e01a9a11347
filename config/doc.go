// # Files and precedence
//
// Load and Read build a Config from four layers, each over the one before:
// Default, home/config.yaml, home/.env, and the environment. A .env value
// applies only where the environment does not set the same variable, and
// an empty variable counts as unset. The one exception to the order is
// platforms.api_server.enabled: an explicit false in config.yaml wins over
// API_SERVER_ENABLED and over any key.
//
// config.yaml is decoded field by field against the yaml tags of Config.
// A key that matches no field is a Warning with its dotted path and, when
// a known key is close, a suggestion. A value of the wrong type, a
// duplicate key or a YAML syntax error is an error naming the file and the
// line. Durations are Go duration strings such as "90s" or "5m".
//
// The .env file holds NAME=VALUE lines, each optionally preceded by
// "export ". Blank lines and lines starting with # are skipped, and an
// unquoted value ends at a # that follows white space. Single quotes keep
// a value literally, double quotes allow the escapes \n, \r, \t, \" and
// \\, and a quoted value may span lines. $NAME is never expanded.
//
// Environment variables: API_SERVER_ENABLED, API_SERVER_KEY,
// API_SERVER_HOST, API_SERVER_PORT, API_SERVER_CORS_ORIGINS (a comma
// list), API_SERVER_MODEL_NAME, API_SERVER_MAX_RESPONSES, AGENT_BACKEND,
// AGENT_BASE_URL, AGENT_API_KEY, AGENT_MODEL, AGENT_TIMEOUT,
// ACTORGATE_BACKOFF_BASE, ACTORGATE_BACKOFF_CAP, ACTORGATE_ATTENTION_AFTER
// and ACTORGATE_SHUTDOWN_GRACE. A malformed value is an error that names
// the variable and the expected form; it never falls back to a default.
// ACTORGATE_HOME chooses the data folder (see ResolveHome).
//
// # First run
//
// Init creates the data folder with mode 0700 and a .env file with mode
// 0600 holding a new random API_SERVER_KEY, once: it never overwrites a
// file and does nothing when the folder exists.
//
// # Checks
//
// Validate returns every invalid field at once, each as a *FieldError.
// APIServerConfig.Enrollment decides, without side effects, whether the
// API server starts: a missing key leaves it NotConfigured, an explicit
// enabled: false Disabled, and a key that is short or a placeholder Fatal
// with the code api_server_key_invalid.
//
// # Secrets
//
// Redacted returns a copy without keys for logs and for actorgate check.
// AgentConfig and APIServerConfig redact their keys in fmt output with any
// verb and in JSON and YAML encoding, which covers zap.Any. A key field
// read directly is still the plain string, and so is any encoding that
// bypasses these methods, such as encoding/gob.
package config
