// Package store is the response store actor: the only owner of a
// stores.Responses, and so of the responses database and its single
// connection.
//
// # Messages
//
// The actor accepts these requests and responds to the sender of each
// with the matching reply:
//
//   - *messages.PutResponse → *messages.PutResponseReply, sent only after
//     the transaction holding the response committed.
//   - *PutEncodedResponse → *messages.PutResponseReply, as PutResponse,
//     for a response whose JSON actorgate's own encoders produced.
//   - *messages.GetResponse → *messages.GetResponseReply
//   - *messages.DeleteResponse → *messages.DeleteResponseReply
//   - *messages.GetConversation → *messages.GetConversationReply
//   - *messages.BeginIdempotent → *messages.BeginIdempotentReply
//   - *messages.FinishIdempotent → *messages.FinishIdempotentReply
//
// A request without a sender (sent with Send rather than Request) is
// carried out but gets no reply.
//
// # Group commit
//
// A PutResponse or PutEncodedResponse joins a pending batch. The actor's mailbox middleware
// posts a private flush message when the mailbox has drained while a batch
// waits. If more messages arrived behind the flush by the time the actor
// takes it, the flush goes to the back of the mailbox again. Otherwise one
// transaction writes the whole batch, and then every writer gets its
// reply. A batch that reaches [MaxBatch] responses is written at once. Any
// other request writes the pending batch first, so a read always returns
// the writes acknowledged before it.
//
// # Idempotency keys
//
// A BeginIdempotent for a key that a running request holds is parked, so
// its reply waits until the FinishIdempotent for that key arrives. Then
// the parked requests ask again in arrival order. Each gets the stored
// result, or, when the owner abandoned the key, the first becomes the new
// owner and the others stay parked. A parked request whose requester
// stopped waiting (its future timed out) is dropped without a reply.
//
// # Failures
//
// The database is opened in *actor.Started and closed in one idempotent
// close called from *actor.Restarting, *actor.Stopping and
// *actor.Stopped. The Props producer opens nothing. When the database
// cannot be opened, the actor does not fail. It replies to every request
// with an error matching messages.ErrStoreUnavailable that names the
// cause, and tries to open the database again every Config.RetryOpen. A
// write that fails because of the disk gets the same error, reads keep
// working when the disk allows them, and the next write tries again.
//
// # Supervision
//
// The API server adapter spawns the store as its child and supervises it.
// On a restart of the adapter, this actor is stopped, and so its database
// is closed, before the adapter's new instance starts and spawns a new
// store.
package store
