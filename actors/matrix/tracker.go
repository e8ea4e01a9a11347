package matrix

import (
	"errors"
	"maps"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/messages"
)

// maxPending bounds the messages handed to the chat core and not yet
// answered. While it is reached, the tracker takes no new batch and the
// fetch goroutine waits.
const maxPending = 256

// tracker follows which messages of the sync batches are answered, and
// moves the stored cursor past a batch once it and every batch before it
// are fully answered. The events answered beyond the stored cursor are
// stored with it, so a restart resumes at the first unfinished batch and
// answers only what was not answered yet: nothing is lost, and nothing is
// answered twice unless the process dies between sending an answer and
// storing that it was sent.
type tracker struct {
	// stored is the next_batch token last stored.
	stored string
	// handled contains the events after stored that are answered.
	handled map[string]bool
	// open lists the batches not fully answered, oldest first.
	open []*openBatch
	// batchOf maps each event submitted and not answered to its batch.
	batchOf map[string]*openBatch
	// done receives the event id of each answered message.
	done chan string
}

// openBatch is a sync batch with messages still being answered.
type openBatch struct {
	next   string
	events []string
	left   int
}

func newTracker(cur cursor) *tracker {
	return &tracker{
		stored:  cur.nextBatch,
		handled: cur.handled,
		batchOf: make(map[string]*openBatch),
		done:    make(chan string, maxPending),
	}
}

// track takes batches from results and answered messages from the chat
// core until the conn is stopped or something fails.
func (c *conn) track(t *tracker, results <-chan syncResult) *messages.PlatformError {
	for {
		in := results
		if len(t.batchOf) >= maxPending {
			in = nil
		}
		var perr *messages.PlatformError
		select {
		case res := <-in:
			if res.err != nil {
				return res.err
			}
			perr = c.takeBatch(t, res)
		case eventID := <-t.done:
			perr = c.answered(t, eventID)
		case <-c.ctx.Done():
			return nil
		}
		if perr != nil || c.ctx.Err() != nil {
			return perr
		}
	}
}

// takeBatch joins the rooms of the batch's invites and hands its messages
// to the chat core, except those a previous run answered already.
func (c *conn) takeBatch(t *tracker, res syncResult) *messages.PlatformError {
	if err := c.acceptInvites(res.resp.Rooms.Invite); err != nil {
		return &messages.PlatformError{
			Platform: Name, Code: CodeSyncFailed, Retryable: true, Cause: err,
			Message: "joining an invited room failed",
		}
	}
	b := &openBatch{next: res.resp.NextBatch}
	t.open = append(t.open, b)
	for _, m := range c.collect(res.resp, res.initial) {
		b.events = append(b.events, m.MessageID)
		if t.handled[m.MessageID] {
			continue
		}
		if !c.submit(t, m) {
			return nil
		}
		t.batchOf[m.MessageID] = b
		b.left++
	}
	if c.log.Core().Enabled(zap.DebugLevel) {
		c.log.Debug("sync batch taken", zap.Int("messages", len(b.events)),
			zap.Int("submitted", b.left), zap.Bool("initial", res.initial))
	}
	return c.advance(t)
}

// submit hands one message to the chat core. It reports false when the
// core is closed.
func (c *conn) submit(t *tracker, m messages.InboundMessage) bool {
	eventID, done, drained := m.MessageID, t.done, c.drained
	err := c.core.Submit(chat.Job{Message: m, Done: func(chat.Result) {
		select {
		case done <- eventID:
		case <-drained:
		}
	}})
	return !errors.Is(err, chat.ErrClosed)
}

// drain records the turns that finish after the syncing ended, until the
// chat core is closed and no turn can finish any more.
func (c *conn) drain(t *tracker) {
	for {
		select {
		case eventID := <-t.done:
			c.answeredWhileStopping(t, eventID)
		case <-c.coreClosed:
			for {
				select {
				case eventID := <-t.done:
					c.answeredWhileStopping(t, eventID)
				default:
					return
				}
			}
		}
	}
}

func (c *conn) answeredWhileStopping(t *tracker, eventID string) {
	if perr := c.answered(t, eventID); perr != nil {
		c.log.Warn("storing the sync cursor failed while stopping; a restart may answer "+
			"messages again", zap.Error(perr))
	}
}

// answered records that the message eventID was answered (or refused,
// or apologised for).
func (c *conn) answered(t *tracker, eventID string) *messages.PlatformError {
	b, ok := t.batchOf[eventID]
	if !ok {
		return nil
	}
	delete(t.batchOf, eventID)
	b.left--
	t.handled[eventID] = true
	if len(t.open) > 0 && t.open[0].left == 0 {
		return c.advance(t)
	}
	if err := c.saveSync(t.stored, t.handled); err != nil {
		c.log.Warn("storing an answered message failed; a restart may answer it again",
			zap.String("event_id", eventID), zap.Error(err))
	}
	return nil
}

// advance moves the stored cursor past the leading batches that are fully
// answered and forgets their events. When the store fails, the tracker
// stays as it was, and the next answered message tries again.
func (c *conn) advance(t *tracker) *messages.PlatformError {
	n, next := 0, t.stored
	for n < len(t.open) && t.open[n].left == 0 {
		next = t.open[n].next
		n++
	}
	if n == 0 {
		return nil
	}
	handled := maps.Clone(t.handled)
	for _, b := range t.open[:n] {
		for _, e := range b.events {
			delete(handled, e)
		}
	}
	if next != t.stored {
		if err := c.saveSync(next, handled); err != nil {
			return sessionsError("storing the sync cursor", err)
		}
	}
	t.open, t.handled, t.stored = t.open[n:], handled, next
	return nil
}
