package matrix

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/actorgate/actorgate/messages"
)

// deviceName is the display name of the device a password login creates.
const deviceName = "actorgate"

// login checks the access token with whoami, or logs in with the
// password, reusing the device of the previous password login.
func (c *conn) login(deviceID string) *messages.PlatformError {
	if strings.TrimSpace(c.s.Matrix.AccessToken) != "" {
		return c.checkToken()
	}
	return c.loginPassword(deviceID)
}

func (c *conn) checkToken() *messages.PlatformError {
	ctx, cancel := c.requestContext()
	defer cancel()
	resp, err := c.cli.Whoami(ctx)
	if err != nil {
		return c.loginError(err, CodeTokenInvalid,
			"the homeserver rejected MATRIX_ACCESS_TOKEN (platforms.matrix.access_token)",
			"set it to a valid access token of "+c.s.Matrix.UserID)
	}
	if string(resp.UserID) != c.s.Matrix.UserID {
		return invalid(CodeConfigInvalid, fmt.Sprintf("the access token belongs to %s, not to "+
			"MATRIX_USER_ID %s; set MATRIX_USER_ID (platforms.matrix.user_id) or "+
			"MATRIX_ACCESS_TOKEN so that they match", resp.UserID, c.s.Matrix.UserID))
	}
	c.cli.DeviceID = resp.DeviceID
	return nil
}

func (c *conn) loginPassword(deviceID string) *messages.PlatformError {
	ctx, cancel := c.requestContext()
	defer cancel()
	resp, err := c.cli.Login(ctx, &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: c.s.Matrix.UserID},
		Password:                 c.s.Matrix.Password,
		DeviceID:                 id.DeviceID(deviceID),
		InitialDeviceDisplayName: deviceName,
		StoreCredentials:         true,
	})
	if err != nil {
		return c.loginError(err, CodeLoginFailed,
			"the homeserver rejected the password of "+c.s.Matrix.UserID,
			"set MATRIX_PASSWORD (platforms.matrix.password) to the account's password, or "+
				"set MATRIX_ACCESS_TOKEN instead")
	}
	if string(resp.UserID) != c.s.Matrix.UserID {
		return invalid(CodeConfigInvalid, fmt.Sprintf("the homeserver logged in %s, not "+
			"MATRIX_USER_ID %s; set MATRIX_USER_ID (platforms.matrix.user_id) to the full "+
			"user id", resp.UserID, c.s.Matrix.UserID))
	}
	if string(resp.DeviceID) != deviceID {
		if err := c.setCursor(cursorDevice, string(resp.DeviceID)); err != nil {
			c.log.Warn("storing the device id failed; the next login adds another device",
				zap.Error(err))
		}
	}
	return nil
}

// loginError types a failed login. A rejection (401, 403) is fatal with
// code, and its message says what was rejected and the fix. An
// unreachable or overloaded homeserver is retryable. Any other response
// means that the URL is not a Matrix client API, which is fatal too.
func (c *conn) loginError(err error, code, rejected, fix string) *messages.PlatformError {
	status := httpStatus(err)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &messages.PlatformError{
			Platform: Name, Code: code, Cause: err,
			Message: fmt.Sprintf("%s (%s); %s%s", rejected, errCode(err, status), fix, reloadHint),
		}
	case transientStatus(status):
		return &messages.PlatformError{
			Platform: Name, Code: CodeUnreachable, Retryable: true, Cause: err,
			Message: "logging in to the homeserver at " + c.s.Matrix.Homeserver + " failed",
		}
	}
	return invalid(CodeConfigInvalid, fmt.Sprintf("the homeserver at %s answered the login "+
		"with HTTP %d (%s); check that MATRIX_HOMESERVER (platforms.matrix.homeserver) is the "+
		"client API's base URL", c.s.Matrix.Homeserver, status, errCode(err, status)))
}

// httpStatus returns the HTTP status of a failed request, or 0 when no
// response arrived (a network error or a cancelled request).
func httpStatus(err error) int {
	var herr mautrix.HTTPError
	if errors.As(err, &herr) && herr.Response != nil {
		return herr.Response.StatusCode
	}
	return 0
}

// transientStatus reports whether a request that failed with status may
// succeed later unchanged: no response at all, a timeout, a rate limit or a
// server error.
func transientStatus(status int) bool {
	return status == 0 || status == http.StatusRequestTimeout ||
		status == http.StatusTooManyRequests || status >= 500
}

// errCode returns the Matrix error code of a failed request, such as
// M_FORBIDDEN, or "HTTP <status>" when the response had none.
func errCode(err error, status int) string {
	var herr mautrix.HTTPError
	if errors.As(err, &herr) && herr.RespError != nil && herr.RespError.ErrCode != "" {
		return herr.RespError.ErrCode
	}
	return fmt.Sprintf("HTTP %d", status)
}
