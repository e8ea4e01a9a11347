package agent

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readEvents returns the data of every event in input and the error that
// ended the stream.
func readEvents(input io.Reader) ([]string, error) {
	sse := acquireSSEReader(input)
	defer sse.release()
	var events []string
	for {
		data, err := sse.next()
		if err != nil {
			return events, err
		}
		events = append(events, string(data))
	}
}

func TestSSEReader(t *testing.T) {
	long := strings.Repeat("x", 3*sseBufferSize)
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"one event", "data: {\"a\":1}\n\n", []string{`{"a":1}`}},
		{"no space after colon", "data:{}\n\n", []string{`{}`}},
		{"only one space dropped", "data:  x\n\n", []string{" x"}},
		{
			"comments and fields skipped", ": ping\nevent: message\nid: 7\nretry: 10\ndata: a\n\n",
			[]string{"a"},
		},
		{"multi-line data", "data: a\ndata: b\n\n", []string{"a\nb"}},
		{"crlf endings", "data: a\r\n\r\ndata: b\r\n\r\n", []string{"a", "b"}},
		{"blank lines between", "\n\ndata: a\n\n\n\ndata: b\n\n", []string{"a", "b"}},
		{"comment only event", ": keep-alive\n\n", nil},
		{"last event without blank line", "data: a\n\ndata: [DONE]\n", []string{"a", "[DONE]"}},
		{"last line without newline", "data: a\n\ndata: [DONE]", []string{"a", "[DONE]"}},
		{"line longer than the buffer", "data: " + long + "\n\n", []string{long}},
		{"empty data field", "data\n\n", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, reader := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", strings.NewReader(tt.input)},
				{"byte by byte", iotest.OneByteReader(strings.NewReader(tt.input))},
			} {
				got, err := readEvents(reader.r)

				if !errors.Is(err, io.EOF) {
					t.Errorf("%s: stream ended with %v, want io.EOF", reader.name, err)
				}
				if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
					t.Errorf("%s: events = %q, want %q", reader.name, got, tt.want)
				}
			}
		})
	}
}

func TestSSEReaderEventTooLarge(t *testing.T) {
	line := "data: " + strings.Repeat("y", 1<<20) + "\n"
	input := strings.Repeat(line, maxEventBytes/(1<<20)+1) + "\n"

	_, err := readEvents(strings.NewReader(input))

	if !errors.Is(err, ErrMalformedStream) {
		t.Fatalf("error = %v, want ErrMalformedStream", err)
	}
}

func TestSSEReaderLineTooLong(t *testing.T) {
	input := "data: " + strings.Repeat("z", maxEventBytes+1) + "\n\n"

	_, err := readEvents(strings.NewReader(input))

	if !errors.Is(err, ErrMalformedStream) {
		t.Fatalf("error = %v, want ErrMalformedStream", err)
	}
}

func TestSSEReaderReadError(t *testing.T) {
	broken := errors.New("connection reset")
	input := io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(broken))

	got, err := readEvents(input)

	if !errors.Is(err, broken) {
		t.Fatalf("error = %v, want the read error", err)
	}
	if len(got) != 1 || got[0] != "a" {
		t.Errorf("events = %q, want only the complete event a", got)
	}
}

// waitingBody is a body with WaitReadable, as h1's response body has. It
// returns pieces one Read at a time and counts the waits during which the
// SSE reader held its read buffer.
type waitingBody struct {
	pieces []string
	err    error // returned once the pieces are read, io.EOF when nil
	sse    *sseReader
	waits  int
	// heldWaits counts the waits during which the reader had a buffer.
	heldWaits int
}

func (b *waitingBody) WaitReadable() error {
	b.waits++
	if b.sse.br != nil {
		b.heldWaits++
	}
	if len(b.pieces) == 0 {
		return b.end()
	}
	return nil
}

func (b *waitingBody) Read(p []byte) (int, error) {
	if len(b.pieces) == 0 {
		return 0, b.end()
	}
	n := copy(p, b.pieces[0])
	if b.pieces[0] = b.pieces[0][n:]; b.pieces[0] == "" {
		b.pieces = b.pieces[1:]
	}
	return n, nil
}

func (b *waitingBody) end() error {
	if b.err != nil {
		return b.err
	}
	return io.EOF
}

func TestSSEReaderReleasesBufferWhileWaiting(t *testing.T) {
	long := strings.Repeat("x", 3*sseBufferSize)
	broken := errors.New("connection reset")
	tests := []struct {
		name    string
		pieces  []string
		err     error
		want    []string
		wantErr error
	}{
		{"one event per piece", []string{"data: a\n\n", "data: b\n\n"}, nil, []string{"a", "b"}, io.EOF},
		{
			"events split across pieces",
			[]string{"da", "ta: a\n", "\ndata: b\n\nda", "ta: c\n\n"},
			nil,
			[]string{"a", "b", "c"},
			io.EOF,
		},
		{
			"line longer than the buffer",
			[]string{"data: " + long[:5000], long[5000:] + "\n\n"},
			nil,
			[]string{long},
			io.EOF,
		},
		{"error from the wait", []string{"data: a\n\n"}, broken, []string{"a"}, broken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &waitingBody{pieces: tt.pieces, err: tt.err}
			sse := acquireSSEReader(body)
			body.sse = sse
			var got []string
			var err error
			for err == nil {
				var data []byte
				if data, err = sse.next(); err == nil {
					got = append(got, string(data))
				}
			}
			sse.release()

			if !errors.Is(err, tt.wantErr) {
				t.Errorf("stream ended with %v, want %v", err, tt.wantErr)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("events = %.40q, want %.40q", got, tt.want)
			}
			if body.waits == 0 {
				t.Error("the reader never called WaitReadable")
			}
			if body.heldWaits != 0 {
				t.Errorf("the reader held its buffer during %d of %d waits, want none",
					body.heldWaits, body.waits)
			}
		})
	}
}
