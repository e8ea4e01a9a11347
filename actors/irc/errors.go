package irc

import "errors"

// Stable codes of the PlatformError the adapter escalates. Fatal codes
// stop the platform until the configuration is reloaded; retryable ones
// restart it with backoff.
const (
	// CodeConfigInvalid (fatal): a setting is missing or malformed.
	CodeConfigInvalid = "irc_config_invalid"
	// CodeNickInvalid (fatal): the server rejected the nick as erroneous.
	CodeNickInvalid = "irc_nick_invalid"
	// CodeSASLFailed (fatal): the server rejected the SASL credentials.
	CodeSASLFailed = "irc_sasl_failed"
	// CodeSASLUnavailable (fatal): SASL is configured but the server does
	// not offer SASL PLAIN.
	CodeSASLUnavailable = "irc_sasl_unavailable"
	// CodeTLSInvalid (fatal): the server's certificate did not verify, or
	// the port does not speak TLS.
	CodeTLSInvalid = "irc_tls_invalid"
	// CodeNickInUse (retryable): the nick and its alternatives are taken.
	CodeNickInUse = "irc_nick_in_use"
	// CodeConnectFailed (retryable): the server could not be reached.
	CodeConnectFailed = "irc_connect_failed"
	// CodeRegistrationFailed (retryable): the server refused or did not
	// complete the registration.
	CodeRegistrationFailed = "irc_registration_failed"
	// CodeConnectionLost (retryable): an established connection ended.
	CodeConnectionLost = "irc_connection_lost"
)

// ErrNotConnected is returned by sends while the adapter has no
// registered connection: before the first one, or after a failed dial.
var ErrNotConnected = errors.New("not connected to the IRC server")
