package ircconn

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"
)

// batch is lines queued together, so that the lines of one message are
// not interleaved with another message's. result receives nil once every
// line was written, or the error that stopped the batch.
type batch struct {
	ctx    context.Context
	lines  []string
	result chan error
}

// prefixReserveBytes is the room reserved for the user@host part of the
// server's prefix on a relayed line (":nick!user@host ") while the bot's
// user@host is not known: a ten-byte user name, '@' and a 63-byte host name.
const prefixReserveBytes = 10 + 1 + 63

// MaxPayload returns how many bytes of text one command line to target may
// carry, so that the line the server relays, with ":nick!user@host "
// before it and CR-LF after it, stays within 512 bytes. It never exceeds
// MaxPayloadBytes.
func (c *Conn) MaxPayload(command, target string) int {
	c.mu.Lock()
	prefix := 1 + len(c.nick) + 1 + prefixReserveBytes + 1
	if c.userHost != "" {
		prefix = 1 + len(c.nick) + 1 + len(c.userHost) + 1
	}
	c.mu.Unlock()
	room := MaxLineBytes - len("\r\n") - len(command) - len(" ") - len(target) - len(" :") - prefix
	return min(MaxPayloadBytes, room)
}

// Privmsg sends text to a channel or nick as PRIVMSG lines (see
// SplitText) through flood control, and returns once every line was
// written to the socket, with the number of lines. An error means the
// lines from the first unwritten one on were not sent.
func (c *Conn) Privmsg(ctx context.Context, target, text string) (int, error) {
	return c.sendText(ctx, "PRIVMSG", target, text)
}

// Notice sends text as NOTICE lines, like Privmsg. RFC 2812 (section
// 3.3.2) forbids automatic replies to a NOTICE, which makes it the
// command for messages that must not start a loop between bots.
func (c *Conn) Notice(ctx context.Context, target, text string) (int, error) {
	return c.sendText(ctx, "NOTICE", target, text)
}

func (c *Conn) sendText(ctx context.Context, command, target, text string) (int, error) {
	if err := validateTarget(target); err != nil {
		return 0, err
	}
	payloads := SplitText(text, c.MaxPayload(command, target))
	lines := make([]string, 0, len(payloads))
	for _, p := range payloads {
		line, err := formatTrailing(command, target, p)
		if err != nil {
			return 0, err
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return 0, nil
	}
	return len(lines), c.send(ctx, lines)
}

func validateTarget(target string) error {
	if IsChannel(target) {
		return ValidateChannel(target)
	}
	if err := ValidateNick(target); err != nil {
		return fmt.Errorf("%w: target %q is neither a channel nor a nick", ErrInvalidParam, target)
	}
	return nil
}

// send queues lines as one batch and waits until they were written.
func (c *Conn) send(ctx context.Context, lines []string) error {
	b := &batch{ctx: ctx, lines: lines, result: make(chan error, 1)}
	select {
	case c.queue <- b:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.Err()
	}
	select {
	case err := <-b.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.Err()
	}
}

// enqueueJoin queues a JOIN without waiting for it.
func (c *Conn) enqueueJoin(channel string) {
	line, err := FormatLine("JOIN", channel)
	if err != nil {
		c.log.Warn("skipping an invalid channel", zap.String("channel", channel), zap.Error(err))
		return
	}
	b := &batch{ctx: context.Background(), lines: []string{line}, result: make(chan error, 1)}
	select {
	case c.queue <- b:
	case <-c.done:
	}
}

// sendUrgent queues a line that skips flood control (PONG, keepalive
// PING). When the queue is full the socket is stuck and the line is
// dropped; the keepalive then ends the connection.
func (c *Conn) sendUrgent(command string, params ...string) {
	line, err := formatTrailing(command, params...)
	if err != nil {
		c.log.Debug("skipping an invalid urgent line", zap.Error(err))
		return
	}
	select {
	case c.urgent <- line:
	default:
		c.log.Warn("urgent write queue full, dropping a line", zap.String("command", command))
	}
}

// writeLoop writes urgent lines at once and queued batches through the
// token bucket, and requests the configured nick again now and then while
// the bot has an alternative one.
func (c *Conn) writeLoop() {
	defer c.wg.Done()
	bucket := newBucket(c.cfg.FloodBurst, c.cfg.FloodInterval, time.Now())
	reclaim := time.NewTicker(c.cfg.NickReclaimInterval)
	defer reclaim.Stop()

	for {
		select {
		case <-c.done:
			return
		case line := <-c.urgent:
			// A failed write ends the connection; the loop then returns.
			_ = c.writeOrFail(line)
		case <-reclaim.C:
			c.reclaimNick(bucket)
		case b := <-c.queue:
			b.result <- c.writeBatch(bucket, b)
		}
	}
}

func (c *Conn) writeBatch(bucket *bucket, b *batch) error {
	for _, line := range b.lines {
		if err := c.waitForToken(bucket, b.ctx); err != nil {
			return err
		}
		if err := c.writeOrFail(line); err != nil {
			return err
		}
	}
	return nil
}

// waitForToken waits until the bucket lets a line out, writing urgent
// lines meanwhile.
func (c *Conn) waitForToken(bucket *bucket, ctx context.Context) error {
	for {
		wait := bucket.take(time.Now())
		if wait == 0 {
			return nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case line := <-c.urgent:
			timer.Stop()
			if err := c.writeOrFail(line); err != nil {
				return err
			}
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-c.done:
			timer.Stop()
			return c.Err()
		}
	}
}

func (c *Conn) reclaimNick(bucket *bucket) {
	c.mu.Lock()
	same := EqualNames(c.nick, c.cfg.Nick, c.caseMapping)
	c.mu.Unlock()
	if same || bucket.take(time.Now()) != 0 {
		return
	}
	line, err := FormatLine("NICK", c.cfg.Nick)
	if err == nil {
		_ = c.writeOrFail(line)
	}
}

// writeOrFail writes one line; a failed write ends the connection.
func (c *Conn) writeOrFail(line string) error {
	if err := c.writeLine(line); err != nil {
		err = fmt.Errorf("%w: writing: %w", ErrServerClosed, err)
		c.fail(err)
		return err
	}
	return nil
}

// writeCommand formats and writes one line at once, without flood
// control. Registration uses it before the writer goroutine starts.
func (c *Conn) writeCommand(command string, params ...string) error {
	line, err := FormatLine(command, params...)
	if err != nil {
		return err
	}
	return c.writeLine(line)
}

// writeTrailing is writeCommand with the last parameter written as a
// trailing one.
func (c *Conn) writeTrailing(command string, params ...string) error {
	line, err := formatTrailing(command, params...)
	if err != nil {
		return err
	}
	return c.writeLine(line)
}

func (c *Conn) writeLine(line string) error {
	return c.writeLineWithin(line, c.cfg.WriteTimeout)
}

func (c *Conn) writeLineWithin(line string, timeout time.Duration) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.nc.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	_, err := io.WriteString(c.nc, line+"\r\n")
	return err
}
