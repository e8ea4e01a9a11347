package ircconn_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
)

// registrationStart is what the client sends first when SASL is set.
var registrationStart = []step{
	{expect: "CAP LS 302"},
	{expect: "NICK bot"},
	{expect: "USER bot 0 * :bot"},
}

func saslScript(credentials string, tail ...step) []step {
	steps := append([]step(nil), registrationStart...)
	steps[2].replies = []string{
		":irc.test CAP * LS * :multi-prefix away-notify",
		":irc.test CAP * LS :sasl=EXTERNAL,PLAIN server-time",
	}
	steps = append(steps,
		step{expect: "CAP REQ :sasl", replies: []string{":irc.test CAP * ACK :sasl"}},
		step{expect: "AUTHENTICATE PLAIN", replies: []string{"AUTHENTICATE +"}},
	)
	encoded := base64.StdEncoding.EncodeToString([]byte(credentials))
	for len(encoded) >= 400 {
		steps = append(steps, step{expect: "AUTHENTICATE " + encoded[:400]})
		encoded = encoded[400:]
	}
	if encoded == "" {
		encoded = "+"
	}
	steps = append(steps, step{expect: "AUTHENTICATE " + encoded})
	steps[len(steps)-1].replies = tail[0].replies
	return append(steps, tail[1:]...)
}

func TestSASLPlainSucceeds(t *testing.T) {
	tests := []struct {
		name     string
		password string
	}{
		{name: "short", password: "s3cret"},
		// user NUL user NUL password is 300 bytes, which base64 encodes
		// into exactly 400 bytes and must be followed by "AUTHENTICATE +".
		{name: "exact chunk", password: strings.Repeat("p", 300-len("sasluser")*2-2)},
		{name: "two chunks", password: strings.Repeat("q", 500)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := saslScript("sasluser\x00sasluser\x00"+tt.password,
				step{replies: []string{
					":irc.test 900 bot bot!bot@h sasluser :You are now logged in as sasluser",
					":irc.test 903 bot :SASL authentication successful",
				}},
				step{expect: "CAP END", replies: []string{":irc.test 001 bot :Welcome bot!bot@h"}},
			)
			addr, result := scriptedServer(t, steps)
			conn, _, err := tryDial(t, addr, func(c *ircconn.Config) {
				c.SASLUser, c.SASLPassword = "sasluser", tt.password
			})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			_ = conn.Close()
			if err := <-result; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSASLFailures(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  error
	}{
		{
			name: "bad credentials",
			steps: saslScript("sasluser\x00sasluser\x00wrong",
				step{replies: []string{
					":irc.test 908 bot PLAIN,EXTERNAL :are available SASL mechanisms",
					":irc.test 904 bot :SASL authentication failed",
				}},
			),
			want: ircconn.ErrSASLFailed,
		},
		{
			name: "no sasl offered",
			steps: append(replyAfterUser(":irc.test CAP * LS :multi-prefix"),
				step{expect: "CAP END"}),
			want: ircconn.ErrSASLUnavailable,
		},
		{
			name: "plain not offered",
			steps: append(replyAfterUser(":irc.test CAP * LS :sasl=EXTERNAL"),
				step{expect: "CAP END"}),
			want: ircconn.ErrSASLUnavailable,
		},
		{
			name:  "cap unsupported",
			steps: replyAfterUser(":irc.test 421 * CAP :Unknown command"),
			want:  ircconn.ErrSASLUnavailable,
		},
		{
			name: "cap refused",
			steps: append(replyAfterUser(":irc.test CAP * LS :sasl"),
				step{expect: "CAP REQ :sasl", replies: []string{":irc.test CAP * NAK :sasl"}},
				step{expect: "CAP END"}),
			want: ircconn.ErrSASLUnavailable,
		},
		{
			name:  "banned",
			steps: replyAfterUser(":irc.test 465 * :You are banned from this server"),
			want:  ircconn.ErrRegistrationRejected,
		},
		{
			name:  "error line",
			steps: replyAfterUser("ERROR :Closing link: too many connections"),
			want:  ircconn.ErrRegistrationRejected,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, result := scriptedServer(t, tt.steps)
			_, _, err := tryDial(t, addr, func(c *ircconn.Config) {
				c.SASLUser, c.SASLPassword = "sasluser", "wrong"
			})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Dial error = %v, want %v", err, tt.want)
			}
			if err := <-result; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func replyAfterUser(replies ...string) []step {
	steps := append([]step(nil), registrationStart...)
	steps[2].replies = replies
	return steps
}
