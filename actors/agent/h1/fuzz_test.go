package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// FuzzReadResponse sends arbitrary bytes as the server's response. The
// transport must return an error or a response whose body reads to an end,
// without a panic and before the deadline.
func FuzzReadResponse(f *testing.F) {
	seeds := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nclose delimited",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
		"HTTP/1.1 200 OK\r\n Leading: space\r\n\r\n",
		"HTTP/1.1 99 Low\r\n\r\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, response []byte) {
		serverDone := make(chan struct{})
		tr := New(Config{Dial: func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			go serveScripted(server, response, serverDone)
			return client, nil
		}})
		defer tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		status, err := fetch(ctx, tr)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("response %q: hung until the deadline", response)
		}
		if err == nil && (status < 200 || status > 999) {
			t.Errorf("response %q: final status code %d is outside 200-999", response, status)
		}
		select {
		case <-serverDone:
		case <-time.After(waitLimit):
			t.Fatal("scripted server did not finish")
		}
	})
}

// serveScripted reads one request head from c, writes response and closes c.
func serveScripted(c net.Conn, response []byte, done chan<- struct{}) {
	defer close(done)
	defer func() { _ = c.Close() }()
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	_, _ = c.Write(response)
}

// fetch sends a GET, reads the body to its end and returns the status code.
func fetch(ctx context.Context, tr *Transport) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://fuzz.test/", nil)
	if err != nil {
		return 0, err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}
