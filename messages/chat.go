package messages

import "time"

// Chat types of an inbound message.
const (
	ChatDM      = "dm"
	ChatGroup   = "group"
	ChatChannel = "channel"
)

// InboundMessage is a message a chat adapter received from a user.
type InboundMessage struct {
	// Gateway is the name of the gateway whose adapter received it.
	Gateway   string
	Platform  string
	ChatType  string
	ChatID    string
	ThreadID  string
	UserID    string
	UserName  string
	MessageID string
	Text      string
	Time      time.Time
}

// SendMessage asks a chat adapter to send text to a chat.
type SendMessage struct {
	RequestID string
	ChatID    string
	ThreadID  string
	// ReplyTo is the platform's id of the message answered, if any.
	ReplyTo string
	Text    string
}

// SendMessageReply answers SendMessage. MessageIDs lists the platform's ids
// of the messages sent; a long text is split into several.
type SendMessageReply struct {
	RequestID  string
	MessageIDs []string
	Err        error
}
