// Package telegram implements the Telegram platform: an adapter actor that
// reads a bot's messages from the Bot API with getUpdates long polling and
// answers them through the agent, with the conversation history of the
// sessions store. It uses github.com/go-telegram/bot for getMe,
// sendMessage and sendChatAction, whose server URL is
// platforms.telegram.base_url (TELEGRAM_BASE_URL).
//
// # Updates are handled once
//
// The last acknowledged update_id is kept in the sessions store (platform
// state "telegram"/"last_update_id"), so that a restart neither loses nor
// repeats a message. The poller runs on its own goroutine: it logs in with
// getMe, reads the stored update_id, and polls from the next one. It sends
// each batch of updates to the adapter and waits. The adapter submits the
// messages to the chat core, and once every one of them is answered (or
// refused, or failed for good) it stores the batch's last update_id; only
// then does the poller call getUpdates again, with an offset above that
// id, which is what acknowledges the batch to Telegram. A message whose
// turn was cancelled by a restart is therefore not acknowledged, and
// Telegram returns it to the new instance, which answers it once.
//
// NOTE: the next batch is fetched only after the current one is done, so
// a message that arrives while the agent works on another waits for that
// run; messages that arrive together are answered in parallel, in order
// within each conversation.
//
// go-telegram/bot's own polling loop (Bot.Start) is not used because it
// acknowledges updates before its handlers run; getUpdates is a small
// JSON request of this package instead.
//
// # Messages
//
// Private chats are answered; in groups the bot answers commands, replies
// to its own messages and messages that mention @botname (the mention is
// removed). Answers go to the message's forum topic (message_thread_id)
// as replies (reply_parameters), split at 4096 UTF-16 code units, with a
// typing indicator (sendChatAction typing) while the agent works. Sends
// wait for a per-chat and a global rate limit, honour 429 retry_after,
// and retry network and server errors.
//
// # Failures
//
// A token that is a placeholder or not shaped like a Bot API token is
// rejected before anything starts. 401 or 404 from getMe or getUpdates is
// the fatal telegram_token_invalid, 409 Conflict (another poller, or a
// webhook set for the bot) the fatal telegram_conflict. Network errors
// and server errors are the retryable telegram_unreachable, and the
// gateway restarts the adapter with backoff. 429 on getUpdates waits
// retry_after and polls again.
//
// # Lifecycle and messages
//
// The gateway spawns and supervises the adapter. It reports
// *messages.PlatformConnected to the gateway once getMe succeeded.
// Restarting, Stopping and Stopped run one idempotent close that cancels
// the poll, waits for the poller, and closes the chat core. The adapter
// accepts *messages.SendMessage (replying *messages.SendMessageReply), and
// sends *messages.GetCursor and *messages.SetCursor to the sessions store.
package telegram
