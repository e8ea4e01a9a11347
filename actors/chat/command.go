package chat

import "strings"

// Command is a chat command the core handles itself instead of sending it
// to the agent.
type Command int

// Commands.
const (
	// NoCommand: the text goes to the agent.
	NoCommand Command = iota
	// ResetCommand: /new or /reset starts a fresh session.
	ResetCommand
	// OtherBotCommand: a command addressed to another bot, such as
	// /new@otherbot in a group; the message is ignored.
	OtherBotCommand
)

// ParseCommand reads the command at the start of text: /new and /reset,
// optionally addressed as /new@botName (compared without case, and
// accepted with any name when botName is empty). Text after the command
// is ignored. Any other text, including other commands, is NoCommand.
func ParseCommand(text, botName string) Command {
	first, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	first, _, _ = strings.Cut(first, "\n")
	if !strings.HasPrefix(first, "/") {
		return NoCommand
	}
	name, target, addressed := strings.Cut(first[1:], "@")
	switch strings.ToLower(name) {
	case "new", "reset":
	default:
		return NoCommand
	}
	if addressed && botName != "" &&
		!strings.EqualFold(target, strings.TrimPrefix(botName, "@")) {
		return OtherBotCommand
	}
	return ResetCommand
}
