package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/actorgate/actorgate/bench/internal/loopback"
)

// sseStats are the counts and timing of one event stream.
type sseStats struct {
	// ttft is the time from sending the request to the first data event
	// with non-empty content; zero when there was none.
	ttft time.Duration
	// events counts the data events before [DONE].
	events int
	// done is set once "data: [DONE]" arrived.
	done bool
}

var (
	dataPrefix = []byte("data:")
	doneData   = []byte("[DONE]")
)

// readSSE reads a chat completion event stream to its end. Only the
// events up to the first content chunk are decoded; the rest are counted.
func readSSE(r *bufio.Reader, start time.Time) (sseStats, error) {
	var s sseStats
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return s, fmt.Errorf("an event line is longer than %d bytes", r.Size())
		}
		if len(line) > 0 {
			s.add(line, start)
		}
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return s, err
		}
	}
}

func (s *sseStats) add(line []byte, start time.Time) {
	data, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), dataPrefix)
	if !ok {
		return
	}
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, doneData) {
		s.done = true
		return
	}
	s.events++
	if s.ttft == 0 && hasContent(data) {
		s.ttft = time.Since(start)
	}
}

// chunkContent is the part of a chat completion chunk that carries text.
type chunkContent struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
}

// hasContent reports whether a chunk carries non-empty content text.
func hasContent(data []byte) bool {
	var c chunkContent
	if json.Unmarshal(data, &c) != nil {
		return false
	}
	for _, ch := range c.Choices {
		if ch.Delta.Content != "" {
			return true
		}
	}
	return false
}

// checkTargetURL refuses to send load anywhere but a loopback address.
func checkTargetURL(raw string) error {
	_, err := loopback.ParseURL(raw)
	return err
}
