package ircconn_test

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/actors/irc/ircdtest"
)

// silentServer accepts connections and reads them without ever responding.
// received gets every first line.
func silentServer(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	received := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 512)
		if _, err := conn.Read(buf); err == nil {
			close(received)
		}
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String(), received
}

func TestDialCancelledDuringRegistration(t *testing.T) {
	addr, received := silentServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-received
		cancel()
	}()
	_, err := ircconn.Dial(ctx, ircconn.Config{Addr: addr, Nick: "bot"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial error = %v, want context.Canceled", err)
	}
}

func TestDialRegistrationTimeout(t *testing.T) {
	addr, _ := silentServer(t)
	_, err := ircconn.Dial(context.Background(), ircconn.Config{
		Addr: addr, Nick: "bot", RegisterTimeout: 50 * time.Millisecond,
	})
	if !errors.Is(err, ircconn.ErrRegistrationTimeout) {
		t.Fatalf("Dial error = %v, want ErrRegistrationTimeout", err)
	}
}

func TestDialRefused(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", itoa(ircdtest.FreePort(t)))
	_, err := ircconn.Dial(context.Background(), ircconn.Config{Addr: addr, Nick: "bot"})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Dial error = %v, want ECONNREFUSED", err)
	}
}

func TestDialInvalidConfig(t *testing.T) {
	_, err := ircconn.Dial(context.Background(), ircconn.Config{Addr: "127.0.0.1:1", Nick: "1bad"})
	if !errors.Is(err, ircconn.ErrInvalidConfig) {
		t.Fatalf("Dial error = %v, want ErrInvalidConfig", err)
	}
}

func itoa(n int) string {
	return (&net.TCPAddr{Port: n}).String()[1:]
}
