package matrix_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/actors/matrix"
	"github.com/actorgate/actorgate/messages"
)

func TestLoginFailuresAreTyped(t *testing.T) {
	w := newWorld(t)
	otherToken := newAccountToken(t, w, "carol")
	cases := []struct {
		name      string
		edit      func(*matrix.Settings)
		state     messages.PlatformState
		code      string
		inMessage string
	}{
		{
			name: "wrong password",
			edit: func(s *matrix.Settings) {
				s.Matrix.AccessToken = ""
				s.Matrix.Password = "not-the-password"
			},
			state: messages.StateFatal, code: matrix.CodeLoginFailed, inMessage: "MATRIX_PASSWORD",
		},
		{
			name:  "unknown token",
			edit:  func(s *matrix.Settings) { s.Matrix.AccessToken = "syt_unknown_token_123456" },
			state: messages.StateFatal, code: matrix.CodeTokenInvalid, inMessage: "MATRIX_ACCESS_TOKEN",
		},
		{
			name:  "token of another user",
			edit:  func(s *matrix.Settings) { s.Matrix.AccessToken = otherToken },
			state: messages.StateFatal, code: matrix.CodeConfigInvalid, inMessage: "@carol:localhost",
		},
		{
			name: "homeserver down",
			edit: func(s *matrix.Settings) {
				s.Matrix.Homeserver = "http://127.0.0.1:" + strconv.Itoa(closedPort(t))
			},
			state: messages.StateRetrying, code: matrix.CodeUnreachable, inMessage: "logging in",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			settings := w.settings()
			tc.edit(&settings)
			r := startGatewayNoWait(t, t.TempDir(), settings)
			row := r.waitState(tc.state)
			if row.ErrorCode != tc.code {
				t.Errorf("error code = %q, want %q", row.ErrorCode, tc.code)
			}
			if !strings.Contains(row.ErrorMessage, tc.inMessage) {
				t.Errorf("error message %q does not mention %s", row.ErrorMessage, tc.inMessage)
			}
			if tc.state == messages.StateFatal && !strings.Contains(row.ErrorMessage, "SIGHUP") {
				t.Errorf("fatal error message %q does not say a reload applies the fix",
					row.ErrorMessage)
			}
		})
	}
}

func TestRevokedTokenIsFatal(t *testing.T) {
	w := newWorld(t)
	r := startGateway(t, t.TempDir(), w.settings(), nil)

	bot := newPerson(t, w.srv, w.bot)
	ctx, cancel := bot.ctx()
	defer cancel()
	if _, err := bot.cli.Logout(ctx); err != nil {
		t.Fatalf("logging the bot's token out: %v", err)
	}
	row := r.waitState(messages.StateFatal)
	if row.ErrorCode != matrix.CodeTokenInvalid {
		t.Errorf("error code = %q, want %q", row.ErrorCode, matrix.CodeTokenInvalid)
	}
}

// newAccountToken creates an account and returns its access token.
func newAccountToken(t *testing.T, w *world, localpart string) string {
	t.Helper()
	return w.srv.CreateAccount(localpart).AccessToken
}

// closedPort returns a port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}
