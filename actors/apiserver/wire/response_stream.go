package wire

import (
	"strconv"
	"strings"

	"github.com/actorgate/actorgate/messages"
)

// Stream event types of the Responses API.
const (
	EventResponseCreated        = "response.created"
	EventResponseInProgress     = "response.in_progress"
	EventResponseCompleted      = "response.completed"
	EventResponseFailed         = "response.failed"
	EventResponseIncomplete     = "response.incomplete"
	EventOutputItemAdded        = "response.output_item.added"
	EventOutputItemDone         = "response.output_item.done"
	EventContentPartAdded       = "response.content_part.added"
	EventContentPartDone        = "response.content_part.done"
	EventOutputTextDelta        = "response.output_text.delta"
	EventOutputTextDone         = "response.output_text.done"
	EventFunctionArgumentsDelta = "response.function_call_arguments.delta"
	EventFunctionArgumentsDone  = "response.function_call_arguments.done"
)

// EventWriter receives the events of a stream; *SSEWriter implements it.
// The data slice is valid only during the call.
type EventWriter interface {
	Event(name string, data []byte) error
}

// ResponseStream turns an agent run into the Responses API stream events.
// It writes each event to the EventWriter the moment it is known and keeps
// sequence_number strictly increasing from 0.
//
// The stream starts with response.created and response.in_progress, as
// OpenAI's does. Each output item then opens, in
// the order the items appear, with output_item.added. A message item adds
// content_part.added and its output_text.delta events, and a function call
// item its function_call_arguments.delta events. At Finish every item
// closes in output order: a message with output_text.done,
// content_part.done and output_item.done, a function call with
// function_call_arguments.done and output_item.done. The last event is
// response.completed, response.failed or response.incomplete, which
// carries the final response object.
//
// A ResponseStream is not safe for concurrent use.
type ResponseStream struct {
	obj      *ResponseObject
	seq      int64
	buf      []byte
	started  bool
	finished bool
	items    []streamItem
	// message is the index in items of the message item, or -1.
	message int
	// calls maps a tool call's delta index to its index in items.
	calls map[int]int
}

// streamItem is an output item being streamed, with the text or arguments
// sent so far.
type streamItem struct {
	item OutputItem
	sent strings.Builder
}

// NewResponseStream returns a stream for obj, which should be the
// in_progress object from NewResponseObject without a reply. The stream
// fills in obj's output and outcome at Finish.
func NewResponseStream(obj *ResponseObject) *ResponseStream {
	if obj == nil {
		obj = NewResponseObject(ResponseParams{})
	}
	return &ResponseStream{
		obj:     obj,
		buf:     make([]byte, 0, 1024),
		message: -1,
		calls:   make(map[int]int),
	}
}

// Object returns the response object, final once Finish has returned.
func (s *ResponseStream) Object() *ResponseObject {
	return s.obj
}

// Start writes response.created and response.in_progress. Delta and
// Finish call it when it was not called yet.
func (s *ResponseStream) Start(w EventWriter) error {
	if s.started {
		return nil
	}
	s.started = true
	if err := s.writeResponseEvent(w, EventResponseCreated); err != nil {
		return err
	}
	return s.writeResponseEvent(w, EventResponseInProgress)
}

// Delta writes the events for one fragment of the agent's reply. The first
// fragment of the text or of a tool call opens its output item, then each
// fragment writes its text or argument delta.
func (s *ResponseStream) Delta(w EventWriter, d *messages.AgentDelta) error {
	if s.finished {
		return ErrResponseFinished
	}
	if err := s.Start(w); err != nil {
		return err
	}
	if d == nil {
		return nil
	}
	if d.Text != "" {
		if err := s.writeText(w, d.Text); err != nil {
			return err
		}
	}
	for i := range d.ToolCalls {
		if err := s.writeCallDelta(w, &d.ToolCalls[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *ResponseStream) writeText(w EventWriter, text string) error {
	if s.message < 0 {
		if err := s.openMessage(w); err != nil {
			return err
		}
	}
	it := &s.items[s.message]
	it.sent.WriteString(text)
	return s.writeItemEvent(w, EventOutputTextDelta, s.message, "delta", text)
}

func (s *ResponseStream) openMessage(w EventWriter) error {
	s.message = len(s.items)
	s.items = append(s.items, streamItem{item: OutputItem{
		Type: OutputMessage, ID: NewItemID(MessageItemPrefix), Status: ItemInProgress,
	}})
	if err := s.writeOutputItemEvent(w, EventOutputItemAdded, s.message); err != nil {
		return err
	}
	return s.writePartEvent(w, EventContentPartAdded, s.message, "")
}

func (s *ResponseStream) writeCallDelta(w EventWriter, tc *messages.ToolCallDelta) error {
	idx, ok := s.calls[tc.Index]
	if !ok {
		var err error
		if idx, err = s.openCall(w, tc.Index, tc.ID, tc.Name); err != nil {
			return err
		}
	}
	if tc.Arguments == "" {
		return nil
	}
	s.items[idx].sent.WriteString(tc.Arguments)
	return s.writeItemEvent(w, EventFunctionArgumentsDelta, idx, "delta", tc.Arguments)
}

func (s *ResponseStream) openCall(w EventWriter, deltaIndex int, callID, name string) (
	int, error,
) {
	if callID == "" {
		callID = NewItemID(CallIDPrefix)
	}
	idx := len(s.items)
	s.calls[deltaIndex] = idx
	s.items = append(s.items, streamItem{item: OutputItem{
		Type: OutputFunctionCall, ID: NewItemID(FunctionCallItemPrefix),
		Status: ItemInProgress, CallID: callID, Name: name,
	}})
	return idx, s.writeOutputItemEvent(w, EventOutputItemAdded, idx)
}

// Finish completes the stream with the final reply r: it writes what r has
// beyond the deltas already sent, the done events of every item, and the
// terminal event. r is authoritative: r.Text is the message text (unless
// it is empty and text was streamed) and r.ToolCalls[k] is the call whose
// deltas had index k. A tool call without
// an id gets the call id the stream sent, written back into r.
func (s *ResponseStream) Finish(w EventWriter, r *messages.AgentReply) error {
	if s.finished {
		return ErrResponseFinished
	}
	if err := s.Start(w); err != nil {
		return err
	}
	if r == nil {
		r = &messages.AgentReply{Err: &messages.AgentError{
			Code: "server_error", Message: "the agent returned no reply",
		}}
	}
	s.finished = true
	s.obj.setOutcome(r)
	if err := s.finishText(w, r); err != nil {
		return err
	}
	if err := s.finishCalls(w, r); err != nil {
		return err
	}

	s.obj.Output = s.obj.Output[:0]
	for i := range s.items {
		s.obj.Output = append(s.obj.Output, s.items[i].item)
	}
	s.obj.setItemStatus()
	for i := range s.items {
		s.items[i].item.Status = s.obj.Output[i].Status
		if err := s.closeItem(w, i); err != nil {
			return err
		}
	}
	return s.writeResponseEvent(w, terminalEvent(s.obj.Status))
}

func terminalEvent(status string) string {
	switch status {
	case messages.ResponseFailed:
		return EventResponseFailed
	case messages.ResponseIncomplete, messages.ResponseCancelled:
		// The stream has no event of its own for a cancelled response,
		// whose client is gone by then.
		return EventResponseIncomplete
	}
	return EventResponseCompleted
}

// finishText sends the part of r.Text not streamed yet and sets the
// message item's final text.
func (s *ResponseStream) finishText(w EventWriter, r *messages.AgentReply) error {
	if s.message < 0 && !hasMessageItem(r, s.obj.Status) {
		return nil
	}
	if s.message < 0 && r.Text == "" {
		if err := s.openMessage(w); err != nil {
			return err
		}
	}
	if s.message >= 0 || r.Text != "" {
		if rest, ok := strings.CutPrefix(r.Text, s.sentText()); ok && rest != "" {
			if err := s.writeText(w, rest); err != nil {
				return err
			}
		}
	}
	text := r.Text
	if text == "" {
		text = s.sentText()
	}
	s.items[s.message].item.Text = text
	return nil
}

func (s *ResponseStream) sentText() string {
	if s.message < 0 {
		return ""
	}
	return s.items[s.message].sent.String()
}

// finishCalls opens the calls of r that no delta announced, sends the
// arguments not streamed yet, and sets each call's final fields.
func (s *ResponseStream) finishCalls(w EventWriter, r *messages.AgentReply) error {
	for k := range r.ToolCalls {
		tc := &r.ToolCalls[k]
		idx, ok := s.calls[k]
		if !ok {
			var err error
			if idx, err = s.openCall(w, k, tc.ID, tc.Name); err != nil {
				return err
			}
		}
		it := &s.items[idx]
		if rest, ok := strings.CutPrefix(tc.Arguments, it.sent.String()); ok && rest != "" {
			it.sent.WriteString(rest)
			err := s.writeItemEvent(w, EventFunctionArgumentsDelta, idx, "delta", rest)
			if err != nil {
				return err
			}
		}
		if tc.ID == "" {
			tc.ID = it.item.CallID
		}
		if tc.Name != "" {
			it.item.Name = tc.Name
		}
		it.item.Arguments = tc.Arguments
	}
	// Calls that only deltas announced keep the arguments streamed.
	for _, idx := range s.calls {
		if it := &s.items[idx]; it.item.Arguments == "" {
			it.item.Arguments = it.sent.String()
		}
	}
	return nil
}

func (s *ResponseStream) closeItem(w EventWriter, i int) error {
	it := &s.items[i].item
	if it.Type == OutputFunctionCall {
		err := s.writeItemEvent(w, EventFunctionArgumentsDone, i, "arguments", it.Arguments)
		if err != nil {
			return err
		}
		return s.writeOutputItemEvent(w, EventOutputItemDone, i)
	}
	if err := s.writeItemEvent(w, EventOutputTextDone, i, "text", it.Text); err != nil {
		return err
	}
	if err := s.writePartEvent(w, EventContentPartDone, i, it.Text); err != nil {
		return err
	}
	return s.writeOutputItemEvent(w, EventOutputItemDone, i)
}

// beginEvent starts an event object: {"type":...,"sequence_number":n.
func (s *ResponseStream) beginEvent(typ string) {
	s.buf = append(s.buf[:0], `{"type":"`...)
	s.buf = append(s.buf, typ...)
	s.buf = append(s.buf, `","sequence_number":`...)
	s.buf = strconv.AppendInt(s.buf, s.seq, 10)
	s.seq++
}

func (s *ResponseStream) emit(w EventWriter, typ string) error {
	s.buf = append(s.buf, '}')
	return w.Event(typ, s.buf)
}

func (s *ResponseStream) writeResponseEvent(w EventWriter, typ string) error {
	s.beginEvent(typ)
	s.buf = append(s.buf, `,"response":`...)
	s.buf = s.obj.AppendJSON(s.buf)
	return s.emit(w, typ)
}

func (s *ResponseStream) writeOutputItemEvent(w EventWriter, typ string, i int) error {
	s.beginEvent(typ)
	s.buf = appendIntField(s.buf, "output_index", int64(i))
	s.buf = append(s.buf, `,"item":`...)
	s.buf = s.items[i].item.AppendJSON(s.buf)
	return s.emit(w, typ)
}

func (s *ResponseStream) writePartEvent(w EventWriter, typ string, i int, text string) error {
	s.beginEvent(typ)
	s.buf = appendStringField(s.buf, "item_id", s.items[i].item.ID)
	s.buf = appendIntField(s.buf, "output_index", int64(i))
	s.buf = append(s.buf, `,"content_index":0,"part":`...)
	s.buf = appendOutputTextPart(s.buf, text)
	return s.emit(w, typ)
}

// writeItemEvent writes the text and argument events, which carry
// item_id, output_index and one string field; the text events also carry
// content_index and logprobs.
func (s *ResponseStream) writeItemEvent(w EventWriter, typ string, i int, key, value string,
) error {
	s.beginEvent(typ)
	s.buf = appendStringField(s.buf, "item_id", s.items[i].item.ID)
	s.buf = appendIntField(s.buf, "output_index", int64(i))
	text := s.items[i].item.Type == OutputMessage
	if text {
		s.buf = append(s.buf, `,"content_index":0`...)
	}
	s.buf = appendStringField(s.buf, key, value)
	if text {
		s.buf = append(s.buf, `,"logprobs":[]`...)
	}
	return s.emit(w, typ)
}
