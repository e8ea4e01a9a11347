package agent

import (
	"context"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/actorgate/actorgate/messages"
)

// echoModel is the reply's model when the request names none.
const echoModel = "echo"

// echoBackend replies "turn N: TEXT" without any network, where N is the
// number of user messages and TEXT the text of the last one. Its output
// is deterministic, which makes it the default for tests and benchmarks.
type echoBackend struct{}

// NewEcho returns the offline echo backend.
func NewEcho() Backend { return echoBackend{} }

func (echoBackend) Name() string { return "echo" }

func (echoBackend) Close() error { return nil }

// Run builds the reply to req. When streaming, it emits the answer one word at a time,
// each word with the whitespace that follows it, and checks ctx before each
// word. A cancelled run returns the words produced so far with the code
// "cancelled".
func (echoBackend) Run(
	ctx context.Context, req *messages.AgentRequest, emit func(messages.AgentDelta),
) messages.AgentReply {
	answer := echoAnswer(req.Messages)
	reply := messages.AgentReply{RequestID: req.RequestID, Model: req.Model}
	if reply.Model == "" {
		reply.Model = echoModel
	}

	produced := answer
	if req.Stream && emit != nil {
		produced = emitWords(ctx, req.RequestID, answer, emit)
	} else if ctx.Err() != nil {
		produced = ""
	}

	reply.Text = produced
	reply.Usage.PromptTokens = promptWords(req)
	reply.Usage.CompletionTokens = countWords(produced)
	reply.Usage.TotalTokens = reply.Usage.PromptTokens + reply.Usage.CompletionTokens
	if len(produced) < len(answer) {
		fail(&reply, CodeCancelled, "the agent run was cancelled: "+ctx.Err().Error(), 0)
		return reply
	}
	reply.FinishReason = messages.FinishStop
	return reply
}

// echoAnswer builds "turn N: TEXT" from the conversation.
func echoAnswer(history []messages.ChatMessage) string {
	turns := 0
	last := ""
	for i := range history {
		if history[i].Role == "user" {
			turns++
			last = messageText(&history[i])
		}
	}
	if strings.TrimSpace(last) == "" {
		last = "(empty)"
	}
	return "turn " + strconv.Itoa(turns) + ": " + last
}

// messageText returns the text of m: its text parts joined with a space
// when it has parts, else its Content.
func messageText(m *messages.ChatMessage) string {
	if len(m.Parts) == 0 {
		return m.Content
	}
	var b strings.Builder
	for _, p := range m.Parts {
		if p.Type != "text" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.Text)
	}
	return b.String()
}

// emitWords emits text one word at a time and returns the prefix emitted
// before ctx was done. Each fragment is a word followed by the whitespace
// after it, so the fragments concatenate to text exactly.
func emitWords(
	ctx context.Context, requestID, text string, emit func(messages.AgentDelta),
) string {
	start := 0
	for start < len(text) {
		if ctx.Err() != nil {
			return text[:start]
		}
		end := wordEnd(text, start)
		emit(messages.AgentDelta{RequestID: requestID, Text: text[start:end]})
		start = end
	}
	return text
}

// wordEnd returns the end of the word starting at start, including the
// whitespace that follows it.
func wordEnd(text string, start int) int {
	i := start
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += size
	}
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

// promptWords counts the words of the instructions and of every message.
func promptWords(req *messages.AgentRequest) int {
	n := countWords(req.Instructions)
	for i := range req.Messages {
		m := &req.Messages[i]
		if len(m.Parts) == 0 {
			n += countWords(m.Content)
			continue
		}
		for _, p := range m.Parts {
			if p.Type == "text" {
				n += countWords(p.Text)
			}
		}
	}
	return n
}

// countWords counts the whitespace-separated words of s, as strings.Fields
// would, without allocating.
func countWords(s string) int {
	n := 0
	inWord := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			inWord = false
			continue
		}
		if !inWord {
			n++
			inWord = true
		}
	}
	return n
}

var _ Backend = echoBackend{}
