// Package telegramtest is a fake Telegram Bot API server for tests. It
// runs on 127.0.0.1 and behaves like the real one where the adapter
// depends on it:
//
//   - getUpdates long-polls: it holds the request until an update arrives
//     or timeout seconds pass, confirms (forgets) every update below
//     offset, and ends an older poll with 409 Conflict when a newer one
//     arrives;
//   - parameters are read from the query string and from
//     application/x-www-form-urlencoded, application/json and
//     multipart/form-data bodies;
//   - errors come in the Bot API's envelope: {"ok":false,"error_code":401,
//     "description":"Unauthorized"} for a wrong token, 409 for a second
//     poller, 429 with parameters.retry_after, 400 for an empty or too
//     long message (over 4096 UTF-16 code units);
//   - getMe, sendMessage (with message_thread_id and reply_parameters)
//     and sendChatAction are recorded for assertions.
//
// Tests inject faults with FailPolls, RateLimit and SetConflict.
package telegramtest
