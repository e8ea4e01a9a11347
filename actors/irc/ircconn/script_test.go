package ircconn_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// step is one exchange with a scripted server: it reads a line that must
// start with expect, then writes the replies.
type step struct {
	expect  string
	replies []string
}

// scriptedServer accepts one connection on 127.0.0.1 and plays steps. It
// exists because ngircd does not implement SASL. The returned channel
// receives nil, or the first difference from the script, once the client
// has gone.
func scriptedServer(t *testing.T, steps []step) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		result <- playScript(ln, steps)
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String(), result
}

func playScript(ln net.Listener, steps []step) error {
	conn, err := ln.Accept()
	_ = ln.Close()
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(waitLimit))
	r := bufio.NewReader(conn)
	for i, s := range steps {
		line, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("step %d: waiting for %q: %w", i+1, s.expect, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if !strings.HasPrefix(line, s.expect) {
			return fmt.Errorf("step %d: got %q, want a line starting with %q", i+1, line, s.expect)
		}
		for _, reply := range s.replies {
			if _, err := fmt.Fprintf(conn, "%s\r\n", reply); err != nil {
				return err
			}
		}
	}
	// Read until the client hangs up, so that the script never closes
	// the connection under it.
	for {
		if _, err := r.ReadString('\n'); err != nil {
			return nil
		}
	}
}
