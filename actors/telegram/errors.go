package telegram

import "errors"

// Stable codes of the PlatformError the adapter escalates.
const (
	// CodeTokenInvalid (fatal): the Bot API rejected the token (401 or
	// 404), or the token is a placeholder.
	CodeTokenInvalid = "telegram_token_invalid"
	// CodeConflict (fatal): another poller uses the token, or a webhook
	// is set for the bot (409).
	CodeConflict = "telegram_conflict"
	// CodeConfigInvalid (fatal): a setting cannot work, such as a base
	// URL that is not http or https, or no sessions store.
	CodeConfigInvalid = "telegram_config_invalid"
	// CodeUnreachable (retryable): the Bot API could not be reached or
	// answered with a server error.
	CodeUnreachable = "telegram_unreachable"
	// CodeCursorUnavailable (retryable): the sessions store could not
	// return the last acknowledged update_id.
	CodeCursorUnavailable = "telegram_cursor_unavailable"
)

// Errors of the Bot API, matched with errors.Is on the errors of
// getUpdates.
var (
	errUnauthorized = errors.New("unauthorized")
	errConflict     = errors.New("conflict")
	errServer       = errors.New("bot api server error")
)
