package apiserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// sseEvent is one server-sent event frame: a comment, or an event with
// its name (empty for plain data frames) and data.
type sseEvent struct {
	comment string
	name    string
	data    string
}

func (e sseEvent) isComment() bool { return e.comment != "" }

// json decodes the event's data as an object.
func (e sseEvent) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(e.data), &m); err != nil {
		t.Fatalf("event data is not JSON: %v\n%s", err, e.data)
	}
	return m
}

// sseStream is a streaming response read frame by frame.
type sseStream struct {
	t      testing.TB
	resp   *http.Response
	br     *bufio.Reader
	cancel context.CancelFunc
	client *http.Client
}

// openStream sends a streaming request on a connection of its own and
// returns the response unread. A status other than 200 is returned too,
// and the caller checks it.
func (a *api) openStream(path string, body any, headers ...string) *sseStream {
	a.t.Helper()
	enc, err := json.Marshal(body)
	if err != nil {
		a.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(enc))
	if err != nil {
		cancel()
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Do(req) //nolint:bodyclose // closed by sseStream.close
	if err != nil {
		cancel()
		a.t.Fatal(err)
	}
	s := &sseStream{t: a.t, resp: resp, br: bufio.NewReader(resp.Body), cancel: cancel, client: client}
	a.t.Cleanup(s.close)
	return s
}

// next reads the next frame. It returns io.EOF at the end of the stream.
func (s *sseStream) next() (sseEvent, error) {
	var ev sseEvent
	seen := false
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) && line == "" && !seen {
				return ev, io.EOF
			}
			return ev, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if seen {
				return ev, nil
			}
			continue
		}
		seen = true
		switch {
		case strings.HasPrefix(line, ":"):
			ev.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[len("data: "):]
		default:
			s.t.Fatalf("unexpected SSE line %q", line)
		}
	}
}

// mustNext reads the next frame and fails the test at the end of the
// stream.
func (s *sseStream) mustNext() sseEvent {
	s.t.Helper()
	ev, err := s.next()
	if err != nil {
		s.t.Fatalf("reading the stream: %v", err)
	}
	return ev
}

// rest reads every frame up to the end of the stream.
func (s *sseStream) rest() []sseEvent {
	s.t.Helper()
	var out []sseEvent
	for {
		ev, err := s.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			s.t.Fatalf("reading the stream: %v", err)
		}
		out = append(out, ev)
	}
}

// body reads the whole body of a response that is not a stream.
func (s *sseStream) body() []byte {
	s.t.Helper()
	b, err := io.ReadAll(s.br)
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

// close drops the connection, as a client that goes away does.
func (s *sseStream) close() {
	s.cancel()
	_ = s.resp.Body.Close()
	s.client.CloseIdleConnections()
}
