package wire

import (
	"net/url"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/actorgate/actorgate/messages"
)

// Limits on one request, on top of the server's cap on the body size.
const (
	// MaxMessages is the maximum number of messages (or input items) in
	// one request.
	MaxMessages = 10_000
	// MaxContentParts is the maximum number of content parts in one
	// message.
	MaxContentParts = 1000
	// MaxMessageText is the maximum number of bytes of text in one
	// message, summed over its text parts.
	MaxMessageText = 1 << 20
)

// Roles of chat messages.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
	RoleFunction  = "function"
)

// Content part types of chat messages.
const (
	PartText     = "text"
	PartImageURL = "image_url"
)

type rawChatMessage struct {
	Role         json.RawMessage `json:"role"`
	Content      json.RawMessage `json:"content"`
	Name         json.RawMessage `json:"name"`
	ToolCallID   json.RawMessage `json:"tool_call_id"`
	ToolCalls    json.RawMessage `json:"tool_calls"`
	FunctionCall json.RawMessage `json:"function_call"`
}

type rawChatPart struct {
	Type     json.RawMessage `json:"type"`
	Text     json.RawMessage `json:"text"`
	ImageURL json.RawMessage `json:"image_url"`
}

type rawImageURL struct {
	URL    json.RawMessage `json:"url"`
	Detail json.RawMessage `json:"detail"`
}

type rawToolCall struct {
	ID       json.RawMessage `json:"id"`
	Type     json.RawMessage `json:"type"`
	Function json.RawMessage `json:"function"`
}

type rawFunctionCall struct {
	Name      json.RawMessage `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// decodeChatMessages decodes an array of chat messages; base is the
// parameter name of the array ("messages", "conversation_history").
func decodeChatMessages(raw json.RawMessage, base string, allowEmpty bool) (
	[]messages.ChatMessage, *Error,
) {
	if isAbsent(raw) {
		return nil, InvalidRequest(base, CodeMissingParameter, "%s is required", base)
	}
	items, e := decodeArray(raw, base)
	if e != nil {
		return nil, e
	}
	if len(items) == 0 && !allowEmpty {
		return nil, InvalidRequest(base, CodeInvalidValue,
			"%s must contain at least one message", base)
	}
	if len(items) > MaxMessages {
		return nil, InvalidRequest(base, CodeTooLarge,
			"%s has %d messages; the maximum is %d", base, len(items), MaxMessages)
	}

	out := make([]messages.ChatMessage, len(items))
	for i, item := range items {
		if e := decodeChatMessage(item, indexed(base, i), &out[i]); e != nil {
			return nil, e
		}
	}
	return out, nil
}

func decodeChatMessage(raw json.RawMessage, param string, m *messages.ChatMessage) *Error {
	var rm rawChatMessage
	if e := decodeObject(raw, param, &rm); e != nil {
		return e
	}
	role, e := decodeRole(rm.Role, param+".role")
	if e != nil {
		return e
	}
	m.Role = role
	if m.Name, e = optionalString(rm.Name, param+".name"); e != nil {
		return e
	}
	if e := decodeRoleFields(&rm, param, m); e != nil {
		return e
	}
	return decodeChatContent(&rm, param, m)
}

func decodeRole(raw json.RawMessage, param string) (string, *Error) {
	role, e := requiredString(raw, param)
	if e != nil {
		return "", e
	}
	switch role {
	case RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool, RoleFunction:
		return role, nil
	}
	return "", InvalidRequest(param, CodeInvalidValue,
		"%s %q is not supported; use system, developer, user, assistant, tool or function",
		param, clip(role))
}

// decodeRoleFields decodes the fields that only some roles carry.
func decodeRoleFields(rm *rawChatMessage, param string, m *messages.ChatMessage) *Error {
	var e *Error
	switch m.Role {
	case RoleTool:
		m.ToolCallID, e = requiredString(rm.ToolCallID, param+".tool_call_id")
	case RoleFunction:
		if m.Name == "" {
			e = InvalidRequest(param+".name", CodeMissingParameter,
				"%s.name is required for a function message", param)
		}
	case RoleAssistant:
		m.ToolCalls, e = decodeToolCalls(rm.ToolCalls, param+".tool_calls")
	}
	return e
}

func decodeToolCalls(raw json.RawMessage, param string) ([]messages.ToolCall, *Error) {
	if isAbsent(raw) {
		return nil, nil
	}
	items, e := decodeArray(raw, param)
	if e != nil {
		return nil, e
	}
	if len(items) == 0 {
		return nil, nil
	}
	calls := make([]messages.ToolCall, len(items))
	for k, item := range items {
		if e := decodeToolCall(item, indexed(param, k), &calls[k]); e != nil {
			return nil, e
		}
	}
	return calls, nil
}

func decodeToolCall(raw json.RawMessage, param string, tc *messages.ToolCall) *Error {
	var rc rawToolCall
	if e := decodeObject(raw, param, &rc); e != nil {
		return e
	}
	var e *Error
	if tc.ID, e = requiredString(rc.ID, param+".id"); e != nil {
		return e
	}
	if e := expectType(rc.Type, param+".type", "function", false); e != nil {
		return e
	}
	tc.Type = "function"

	var rf rawFunctionCall
	if isAbsent(rc.Function) {
		return InvalidRequest(param+".function", CodeMissingParameter,
			"%s.function is required", param)
	}
	if e := decodeObject(rc.Function, param+".function", &rf); e != nil {
		return e
	}
	if tc.Name, e = requiredString(rf.Name, param+".function.name"); e != nil {
		return e
	}
	if isAbsent(rf.Arguments) {
		return InvalidRequest(param+".function.arguments", CodeMissingParameter,
			"%s.function.arguments is required; send \"{}\" for a call without arguments",
			param)
	}
	tc.Arguments, e = decodeString(rf.Arguments, param+".function.arguments")
	return e
}

// expectType checks a "type" field against want. An absent type passes
// unless required is set.
func expectType(raw json.RawMessage, param, want string, required bool) *Error {
	if isAbsent(raw) && !required {
		return nil
	}
	got, e := requiredString(raw, param)
	if e != nil {
		return e
	}
	if got != want {
		return InvalidRequest(param, CodeUnsupported, "%s %q is not supported; use %q",
			param, clip(got), want)
	}
	return nil
}

// decodeChatContent decodes content: a string, an array of content parts,
// or null where the role allows it.
func decodeChatContent(rm *rawChatMessage, param string, m *messages.ChatMessage) *Error {
	cparam := param + ".content"
	switch jsonKind(rm.Content) {
	case 0, 'n':
		if contentMayBeNull(rm, m) {
			return nil
		}
		return InvalidRequest(cparam, CodeMissingParameter,
			"%s is required for a %s message", cparam, m.Role)
	case '"':
		s, e := decodeString(rm.Content, cparam)
		if e != nil {
			return e
		}
		if len(s) > MaxMessageText {
			return textTooLarge(cparam, len(s))
		}
		m.Content = s
		return nil
	case '[':
		return decodeChatParts(rm.Content, cparam, m)
	}
	return InvalidRequest(cparam, CodeInvalidType,
		"%s must be a string, an array of content parts, or null", cparam)
}

func contentMayBeNull(rm *rawChatMessage, m *messages.ChatMessage) bool {
	switch m.Role {
	case RoleTool:
		return true
	case RoleAssistant:
		return len(m.ToolCalls) > 0 || !isAbsent(rm.FunctionCall)
	}
	return false
}

func textTooLarge(param string, n int) *Error {
	return InvalidRequest(param, CodeTooLarge,
		"%s has %d bytes of text; the maximum per message is %d", param, n, MaxMessageText)
}

func decodeChatParts(raw json.RawMessage, param string, m *messages.ChatMessage) *Error {
	items, e := decodeArray(raw, param)
	if e != nil {
		return e
	}
	if len(items) > MaxContentParts {
		return InvalidRequest(param, CodeTooLarge, "%s has %d parts; the maximum is %d",
			param, len(items), MaxContentParts)
	}
	parts := make([]messages.ContentPart, len(items))
	for j, item := range items {
		if e := decodeChatPart(item, indexed(param, j), &parts[j]); e != nil {
			return e
		}
	}
	return setParts(m, parts, param)
}

// setParts stores decoded parts in m: the text parts joined into Content,
// and Parts kept only when there is a part other than text, so that a
// text-only message reaches the agent as a plain string.
func setParts(m *messages.ChatMessage, parts []messages.ContentPart, param string) *Error {
	size := 0
	textOnly := true
	for i := range parts {
		size += len(parts[i].Text)
		textOnly = textOnly && parts[i].Type == PartText
	}
	if size > MaxMessageText {
		return textTooLarge(param, size)
	}

	var b strings.Builder
	b.Grow(size)
	for i := range parts {
		b.WriteString(parts[i].Text)
	}
	m.Content = b.String()
	if !textOnly {
		m.Parts = parts
	}
	return nil
}

func decodeChatPart(raw json.RawMessage, param string, p *messages.ContentPart) *Error {
	var rp rawChatPart
	if e := decodeObject(raw, param, &rp); e != nil {
		return e
	}
	typ, e := requiredString(rp.Type, param+".type")
	if e != nil {
		return e
	}
	p.Type = typ
	switch typ {
	case PartText:
		p.Text, e = presentString(rp.Text, param+".text")
		return e
	case PartImageURL:
		return decodeChatImage(rp.ImageURL, param+".image_url", p)
	}
	return InvalidRequest(param+".type", CodeUnsupported,
		"content part type %q is not supported; use text or image_url", clip(typ))
}

// decodeChatImage decodes {"url","detail"}. The bare string form that some
// older clients send is accepted as the URL.
func decodeChatImage(raw json.RawMessage, param string, p *messages.ContentPart) *Error {
	var e *Error
	if jsonKind(raw) == '"' {
		if p.ImageURL, e = decodeString(raw, param+".url"); e != nil {
			return e
		}
		return checkImageURL(p.ImageURL, param+".url")
	}
	if isAbsent(raw) {
		return InvalidRequest(param, CodeMissingParameter, "%s is required", param)
	}
	var ri rawImageURL
	if e := decodeObject(raw, param, &ri); e != nil {
		return e
	}
	if p.ImageURL, e = requiredString(ri.URL, param+".url"); e != nil {
		return e
	}
	if e := checkImageURL(p.ImageURL, param+".url"); e != nil {
		return e
	}
	p.Detail, e = optionalString(ri.Detail, param+".detail")
	return e
}

// checkImageURL accepts an absolute http(s) URL with a host, or a data URL
// of the form data:image/<subtype>;base64,<standard base64>.
func checkImageURL(s, param string) *Error {
	if isHTTPURL(s) || isImageDataURL(s) {
		return nil
	}
	return InvalidRequest(param, CodeInvalidValue,
		"image_url.url must be an http(s) URL or a data:image/ URL")
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

func isImageDataURL(s string) bool {
	const prefix = "data:image/"
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return false
	}
	rest := s[len(prefix):]
	semi := strings.IndexByte(rest, ';')
	if semi <= 0 || !isMediaSubtype(rest[:semi]) {
		return false
	}
	rest = rest[semi:]
	const marker = ";base64,"
	if len(rest) < len(marker) || !strings.EqualFold(rest[:len(marker)], marker) {
		return false
	}
	return isBase64(rest[len(marker):])
}

func isMediaSubtype(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '.' || c == '+' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// isBase64 reports whether s is non-empty, padded standard base64 with no
// line breaks. It checks the alphabet without decoding, so a large image
// costs no allocation.
func isBase64(s string) bool {
	if s == "" || len(s)%4 != 0 {
		return false
	}
	body := strings.TrimSuffix(s, "=")
	body = strings.TrimSuffix(body, "=")
	for i := 0; i < len(body); i++ {
		c := body[i]
		ok := (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '+' || c == '/'
		if !ok {
			return false
		}
	}
	// One base64 digit alone cannot encode a byte.
	return len(body)%4 != 1
}
