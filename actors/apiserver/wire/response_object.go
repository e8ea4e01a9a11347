package wire

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/actorgate/actorgate/messages"

	"github.com/actorgate/actorgate/internal/jsonstr"
)

// Output item types and statuses of the Responses API.
const (
	OutputMessage      = "message"
	OutputFunctionCall = "function_call"

	ItemCompleted  = "completed"
	ItemIncomplete = "incomplete"
	ItemInProgress = "in_progress"
)

// Reasons of an incomplete response.
const (
	IncompleteMaxOutputTokens = "max_output_tokens"
	IncompleteContentFilter   = "content_filter"
)

// agentCancelled is the AgentError code that makes a response cancelled
// rather than failed.
const agentCancelled = "cancelled"

// ResponseObject is a Responses API response: what POST /v1/responses
// returns, what GET /v1/responses/{id} returns, and what the response.*
// stream events embed. AppendJSON writes it in the OpenAI shape.
type ResponseObject struct {
	ID        string
	CreatedAt int64
	// Status is one of messages.ResponseCompleted, ResponseIncomplete,
	// ResponseFailed, ResponseCancelled or ResponseInProgress.
	Status string
	Model  string
	// Instructions is written as null unless HasInstructions is set.
	Instructions       string
	HasInstructions    bool
	PreviousResponseID string
	// Conversation is written as {"id": Conversation}, or null when empty.
	Conversation string
	Store        bool
	Output       []OutputItem
	// Error is set when Status is failed, and only then.
	Error *ResponseError
	// IncompleteReason is set when Status is incomplete, and only then.
	IncompleteReason string
	Usage            messages.Usage
	// The request fields the object echoes, as the client sent them. An
	// empty value is written as the OpenAI default: tools [], tool_choice
	// "auto", temperature and top_p null, parallel_tool_calls true, text
	// {"format":{"type":"text"}} and metadata {}.
	Tools             json.RawMessage
	ToolChoice        json.RawMessage
	Temperature       json.RawMessage
	TopP              json.RawMessage
	ParallelToolCalls json.RawMessage
	Text              json.RawMessage
	Metadata          json.RawMessage
}

// OutputItem is one item of a response's output: an assistant message with
// one output_text part, or a function call.
type OutputItem struct {
	// Type is OutputMessage or OutputFunctionCall.
	Type   string
	ID     string
	Status string
	// Text is the message text (OutputMessage).
	Text string
	// CallID, Name and Arguments describe a function call
	// (OutputFunctionCall).
	CallID    string
	Name      string
	Arguments string
}

// ResponseError is the error of a failed response.
type ResponseError struct {
	Code    string
	Message string
}

// ResponseParams are the inputs of NewResponseObject.
type ResponseParams struct {
	ID                 string
	Model              string
	CreatedAt          int64
	Instructions       string
	HasInstructions    bool
	PreviousResponseID string
	Conversation       string
	Store              bool
	// Reply is the agent's reply; nil builds an in_progress response with
	// no output, as response.created carries.
	Reply *messages.AgentReply
	// Echoed request fields; see ResponseObject.
	Tools             json.RawMessage
	ToolChoice        json.RawMessage
	Temperature       json.RawMessage
	TopP              json.RawMessage
	ParallelToolCalls json.RawMessage
	Text              json.RawMessage
	Metadata          json.RawMessage
}

// ResponseParams returns the parameters of the response to req, with the
// echoed fields filled in from the request.
func (req *ResponsesRequest) ResponseParams(id, model string, createdAt int64) ResponseParams {
	return ResponseParams{
		ID:                 id,
		Model:              model,
		CreatedAt:          createdAt,
		Instructions:       req.Instructions,
		HasInstructions:    req.HasInstructions,
		PreviousResponseID: req.PreviousResponseID,
		Conversation:       req.Conversation,
		Store:              req.Store,
		Tools:              req.RawTools,
		ToolChoice:         req.RawToolChoice,
		Temperature:        req.Options["temperature"],
		TopP:               req.Options["top_p"],
		ParallelToolCalls:  req.Options["parallel_tool_calls"],
		Text:               req.RawText,
		Metadata:           req.Metadata,
	}
}

// NewResponseObject builds a response object. With a Reply it sets the
// status, output, usage and error from the reply (see SetReply); without
// one the response is in_progress.
func NewResponseObject(p ResponseParams) *ResponseObject {
	o := &ResponseObject{
		ID:                 p.ID,
		CreatedAt:          p.CreatedAt,
		Status:             messages.ResponseInProgress,
		Model:              p.Model,
		Instructions:       p.Instructions,
		HasInstructions:    p.HasInstructions,
		PreviousResponseID: p.PreviousResponseID,
		Conversation:       p.Conversation,
		Store:              p.Store,
		Tools:              p.Tools,
		ToolChoice:         p.ToolChoice,
		Temperature:        p.Temperature,
		TopP:               p.TopP,
		ParallelToolCalls:  p.ParallelToolCalls,
		Text:               p.Text,
		Metadata:           p.Metadata,
	}
	if p.Reply != nil {
		o.SetReply(p.Reply)
	}
	return o
}

// SetReply sets the outcome of the run from r, with fresh item ids:
//   - r.Err set: status failed with error {code, message}, except the code
//     "cancelled", which makes the response cancelled;
//   - finish reason "length": incomplete, reason "max_output_tokens";
//   - finish reason "content_filter": incomplete, reason "content_filter";
//   - otherwise completed.
//
// The output holds a message item when there is text, or when there are
// neither text nor tool calls and the run did not fail, then one
// function_call item per tool call. A tool call without an id gets a
// generated "call_" id, written back into r so that the history the caller
// stores names the same call id that the client receives. A nil r changes
// nothing.
func (o *ResponseObject) SetReply(r *messages.AgentReply) {
	if r == nil {
		return
	}
	o.setOutcome(r)
	o.Output = o.Output[:0]
	if hasMessageItem(r, o.Status) {
		o.Output = append(o.Output, OutputItem{
			Type: OutputMessage, ID: NewItemID(MessageItemPrefix), Text: r.Text,
		})
	}
	for i := range r.ToolCalls {
		tc := &r.ToolCalls[i]
		if tc.ID == "" {
			tc.ID = NewItemID(CallIDPrefix)
		}
		o.Output = append(o.Output, OutputItem{
			Type: OutputFunctionCall, ID: NewItemID(FunctionCallItemPrefix),
			CallID: tc.ID, Name: tc.Name, Arguments: tc.Arguments,
		})
	}
	o.setItemStatus()
}

func hasMessageItem(r *messages.AgentReply, status string) bool {
	if r.Text != "" {
		return true
	}
	return len(r.ToolCalls) == 0 && status != messages.ResponseFailed
}

// setOutcome sets status, error, incomplete reason and usage from r.
func (o *ResponseObject) setOutcome(r *messages.AgentReply) {
	o.Usage = r.Usage
	o.Usage.TotalTokens = totalTokens(r.Usage)
	o.Error = nil
	o.IncompleteReason = ""
	switch {
	case r.Err != nil && r.Err.Code == agentCancelled:
		o.Status = messages.ResponseCancelled
	case r.Err != nil:
		o.Status = messages.ResponseFailed
		o.Error = &ResponseError{Code: r.Err.Code, Message: r.Err.Message}
	case r.FinishReason == messages.FinishLength:
		o.Status = messages.ResponseIncomplete
		o.IncompleteReason = IncompleteMaxOutputTokens
	case r.FinishReason == IncompleteContentFilter:
		o.Status = messages.ResponseIncomplete
		o.IncompleteReason = IncompleteContentFilter
	default:
		o.Status = messages.ResponseCompleted
	}
}

// setItemStatus marks every item completed in a completed response and
// incomplete otherwise.
func (o *ResponseObject) setItemStatus() {
	status := ItemIncomplete
	if o.Status == messages.ResponseCompleted {
		status = ItemCompleted
	}
	for i := range o.Output {
		o.Output[i].Status = status
	}
}

// OutputText returns the text of the message items, as the SDKs'
// output_text helper computes it.
func (o *ResponseObject) OutputText() string {
	var b strings.Builder
	for i := range o.Output {
		if o.Output[i].Type == OutputMessage {
			b.WriteString(o.Output[i].Text)
		}
	}
	return b.String()
}

// AppendJSON appends the response object in the OpenAI shape.
func (o *ResponseObject) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = jsonstr.Append(dst, o.ID)
	dst = append(dst, `,"object":"response","created_at":`...)
	dst = strconv.AppendInt(dst, o.CreatedAt, 10)
	dst = appendStringField(dst, "status", o.Status)
	dst = o.appendOutcome(dst)

	dst = appendKey(dst, "instructions")
	if o.HasInstructions {
		dst = jsonstr.Append(dst, o.Instructions)
	} else {
		dst = append(dst, "null"...)
	}
	dst = appendStringField(dst, "model", o.Model)

	dst = appendKey(dst, "output")
	dst = append(dst, '[')
	for i := range o.Output {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = o.Output[i].AppendJSON(dst)
	}
	dst = append(dst, ']')
	dst = o.appendRequestEcho(dst)

	dst = appendKey(dst, "usage")
	if o.Status == messages.ResponseInProgress {
		dst = append(dst, "null"...)
	} else {
		dst = appendResponseUsage(dst, o.Usage)
	}
	return append(dst, '}')
}

func (o *ResponseObject) appendOutcome(dst []byte) []byte {
	dst = appendKey(dst, "error")
	if o.Error != nil {
		dst = append(dst, `{"code":`...)
		dst = jsonstr.Append(dst, o.Error.Code)
		dst = append(dst, `,"message":`...)
		dst = jsonstr.Append(dst, o.Error.Message)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = appendKey(dst, "incomplete_details")
	if o.IncompleteReason != "" {
		dst = append(dst, `{"reason":`...)
		dst = jsonstr.Append(dst, o.IncompleteReason)
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

func (o *ResponseObject) appendRequestEcho(dst []byte) []byte {
	dst = appendRawField(dst, "parallel_tool_calls", o.ParallelToolCalls, "true")
	dst = appendKey(dst, "previous_response_id")
	dst = appendStringOrNull(dst, o.PreviousResponseID)
	dst = appendKey(dst, "conversation")
	if o.Conversation != "" {
		dst = append(dst, `{"id":`...)
		dst = jsonstr.Append(dst, o.Conversation)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = appendKey(dst, "store")
	dst = strconv.AppendBool(dst, o.Store)
	dst = appendRawField(dst, "temperature", o.Temperature, "null")
	dst = appendRawField(dst, "text", o.Text, `{"format":{"type":"text"}}`)
	dst = appendRawField(dst, "tool_choice", o.ToolChoice, `"auto"`)
	dst = appendRawField(dst, "tools", o.Tools, "[]")
	dst = appendRawField(dst, "top_p", o.TopP, "null")
	dst = append(dst, `,"truncation":"disabled"`...)
	return appendRawField(dst, "metadata", o.Metadata, "{}")
}

func appendResponseUsage(dst []byte, u messages.Usage) []byte {
	dst = append(dst, `{"input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.PromptTokens), 10)
	dst = append(dst, `,"input_tokens_details":{"cached_tokens":0},"output_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CompletionTokens), 10)
	dst = append(dst, `,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(totalTokens(u)), 10)
	return append(dst, '}')
}

// AppendJSON appends the output item in the OpenAI shape.
func (it *OutputItem) AppendJSON(dst []byte) []byte {
	if it.Type == OutputFunctionCall {
		dst = append(dst, `{"type":"function_call","id":`...)
		dst = jsonstr.Append(dst, it.ID)
		dst = appendStringField(dst, "call_id", it.CallID)
		dst = appendStringField(dst, "name", it.Name)
		dst = appendStringField(dst, "arguments", it.Arguments)
		dst = appendStringField(dst, "status", it.Status)
		return append(dst, '}')
	}
	dst = append(dst, `{"type":"message","id":`...)
	dst = jsonstr.Append(dst, it.ID)
	dst = appendStringField(dst, "status", it.Status)
	dst = append(dst, `,"role":"assistant","content":[`...)
	if it.Status != ItemInProgress || it.Text != "" {
		dst = appendOutputTextPart(dst, it.Text)
	}
	return append(dst, "]}"...)
}

// appendOutputTextPart appends an output_text content part.
func appendOutputTextPart(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"output_text","text":`...)
	dst = jsonstr.Append(dst, text)
	return append(dst, `,"annotations":[],"logprobs":[]}`...)
}
