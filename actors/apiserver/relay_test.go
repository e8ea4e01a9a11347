package apiserver

import (
	"errors"
	"io"
	"testing"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/messages"
)

// recordingSink is a streamSink that counts deltas and flushes.
type recordingSink struct {
	deltas   int
	flushes  int
	deltaErr error
	flushErr error
}

func (r *recordingSink) delta(*messages.AgentDelta) error {
	r.deltas++
	return r.deltaErr
}

func (r *recordingSink) flush() error {
	r.flushes++
	return r.flushErr
}

func (r *recordingSink) finish(*messages.AgentReply) {}
func (r *recordingSink) keepalive() error            { return nil }
func (r *recordingSink) abandon()                    {}
func (r *recordingSink) timeout()                    {}
func (r *recordingSink) reject(*wire.Error)          {}

func TestRelayDeltaFlushes(t *testing.T) {
	cases := []struct {
		name        string
		waiting     int
		deltaErr    error
		flushErr    error
		wantFlushes int
		wantErr     error
	}{
		{name: "inbox empty", wantFlushes: 1},
		{name: "message waiting", waiting: 1},
		{name: "delta fails", deltaErr: io.ErrClosedPipe, wantErr: io.ErrClosedPipe},
		{
			name: "flush fails", flushErr: io.ErrClosedPipe, wantFlushes: 1,
			wantErr: io.ErrClosedPipe,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &inbox{c: make(chan any, 2)}
			for range tc.waiting {
				in.c <- &messages.AgentDelta{Text: "next"}
			}
			sink := &recordingSink{deltaErr: tc.deltaErr, flushErr: tc.flushErr}
			err := (&server{}).relayDelta(in, sink, &messages.AgentDelta{Text: "word"})
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error = %v, want %v", err, tc.wantErr)
			}
			if sink.deltas != 1 {
				t.Errorf("deltas = %d, want 1", sink.deltas)
			}
			if sink.flushes != tc.wantFlushes {
				t.Errorf("flushes = %d, want %d", sink.flushes, tc.wantFlushes)
			}
		})
	}
}
