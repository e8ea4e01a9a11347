package ircconn

import "errors"

// Errors returned by Dial, by the Conn methods and as the reason a
// connection ended (Conn.Err). Compare with errors.Is.
var (
	// ErrInvalidConfig: a Config field is missing or malformed. The
	// wrapping error names the field.
	ErrInvalidConfig = errors.New("invalid IRC configuration")
	// ErrMalformedLine: a line from the server has no command.
	ErrMalformedLine = errors.New("malformed IRC line")
	// ErrInvalidParam: an outgoing parameter contains a line break or NUL,
	// or a middle parameter contains a space.
	ErrInvalidParam = errors.New("invalid IRC parameter")
	// ErrNickInUse: the nick and every alternative tried during
	// registration were taken (433 ERR_NICKNAMEINUSE or 436
	// ERR_NICKCOLLISION).
	ErrNickInUse = errors.New("nick in use")
	// ErrNickInvalid: the server rejected the configured nick as erroneous
	// (432 ERR_ERRONEUSNICKNAME).
	ErrNickInvalid = errors.New("nick rejected by the server")
	// ErrSASLUnavailable: SASL PLAIN was configured but the server does
	// not offer it.
	ErrSASLUnavailable = errors.New("server does not offer SASL PLAIN")
	// ErrSASLFailed: the server rejected the SASL credentials (904
	// ERR_SASLFAIL and related numerics).
	ErrSASLFailed = errors.New("SASL authentication failed")
	// ErrRegistrationRejected: the server rejected the connection before
	// registration completed (an ERROR line, 465 ERR_YOUREBANNEDCREEP,
	// 464 ERR_PASSWDMISMATCH).
	ErrRegistrationRejected = errors.New("registration rejected by the server")
	// ErrRegistrationTimeout: the server did not complete the
	// registration (001 RPL_WELCOME) in time.
	ErrRegistrationTimeout = errors.New("registration timed out")
	// ErrPingTimeout: the server did not reply to a keepalive PING in time.
	ErrPingTimeout = errors.New("server did not reply to PING in time")
	// ErrServerClosed: the server closed the connection, with an ERROR
	// line or without one.
	ErrServerClosed = errors.New("server closed the connection")
	// ErrLineTooLong: the server sent a line longer than the read buffer.
	ErrLineTooLong = errors.New("line from the server too long")
	// ErrClosed: the connection was closed by Close.
	ErrClosed = errors.New("connection closed")
)
