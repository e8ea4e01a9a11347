package chat

import (
	"strings"

	"github.com/actorgate/actorgate/messages"
)

// AgentName is the agent part of every session key. One agent serves a
// gateway today; the name keeps keys stable when there are more.
const AgentName = "main"

// keyEscaper escapes the characters that separate the parts of a session
// key, so that ids containing a colon (Matrix room and user ids) cannot
// make two conversations share a key.
var keyEscaper = strings.NewReplacer("%", "%25", ":", "%3A")

// SessionKey returns the key of the conversation a message belongs to:
//
//	agent:main:<platform>:<chat_type>:<chat_id>[:<thread_id>][:<user_id>]
//
// The thread part is present when the message has a thread or a user part
// follows (then it may be empty), so that threads of one chat are kept
// apart and a key can be read back unambiguously. The user part is present
// in group and channel chats when perUserInGroups is set: each user then
// has their own conversation with the bot in that chat. Every part is
// escaped: % as %25 and : as %3A.
func SessionKey(in messages.InboundMessage, perUserInGroups bool) string {
	parts := []string{
		"agent", AgentName, in.Platform, in.ChatType, keyEscaper.Replace(in.ChatID),
	}
	perUser := perUserInGroups && in.ChatType != messages.ChatDM && in.UserID != ""
	if in.ThreadID != "" || perUser {
		parts = append(parts, keyEscaper.Replace(in.ThreadID))
	}
	if perUser {
		parts = append(parts, keyEscaper.Replace(in.UserID))
	}
	return strings.Join(parts, ":")
}
