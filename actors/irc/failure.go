package irc

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/messages"
)

// dialFailure types a failed connection attempt. Errors that the same
// settings will meet again are fatal: a rejected nick or login, or a
// certificate that does not verify. The rest are retried with backoff.
func dialFailure(s Settings, err error) *messages.PlatformError {
	addr, nick := s.IRC.Addr(), s.IRC.Nick
	perr := &messages.PlatformError{Platform: Name, Cause: err}
	switch {
	case errors.Is(err, ircconn.ErrNickInvalid):
		perr.Code = CodeNickInvalid
		perr.Message = fmt.Sprintf("the IRC server %s rejected the nick %q as invalid; set "+
			"IRC_NICK (platforms.irc.nick) to a nick it accepts (letters, digits and "+
			"[]\\`_^{|}-, within its length limit), then reload with SIGHUP", addr, nick)
	case errors.Is(err, ircconn.ErrSASLFailed):
		perr.Code = CodeSASLFailed
		perr.Message = fmt.Sprintf("the IRC server %s rejected the SASL login of %q; check "+
			"IRC_SASL_USER and IRC_SASL_PASSWORD (platforms.irc.sasl_user and sasl_password), "+
			"then reload with SIGHUP", addr, s.IRC.SASLUser)
	case errors.Is(err, ircconn.ErrSASLUnavailable):
		perr.Code = CodeSASLUnavailable
		perr.Message = fmt.Sprintf("the IRC server %s does not offer SASL PLAIN; unset "+
			"IRC_SASL_USER and IRC_SASL_PASSWORD, or use a server or port that offers it, "+
			"then reload with SIGHUP", addr)
	case isTLSConfigError(err):
		perr.Code = CodeTLSInvalid
		perr.Message = fmt.Sprintf("the TLS handshake with %s failed: %v; check IRC_SERVER "+
			"and IRC_PORT (6697 is the usual TLS port), or set IRC_TLS=false for a server "+
			"without TLS, then reload with SIGHUP", addr, err)
	default:
		perr.Retryable = true
		perr.Code, perr.Message = retryableFailure(addr, nick, err)
	}
	return perr
}

func retryableFailure(addr, nick string, err error) (code, message string) {
	switch {
	case errors.Is(err, ircconn.ErrNickInUse):
		return CodeNickInUse, fmt.Sprintf("the nick %q and its alternatives are in use on %s; "+
			"retrying with backoff (set IRC_NICK to another nick if this lasts)", nick, addr)
	case errors.Is(err, ircconn.ErrRegistrationRejected),
		errors.Is(err, ircconn.ErrRegistrationTimeout),
		errors.Is(err, ircconn.ErrServerClosed):
		return CodeRegistrationFailed, fmt.Sprintf("the IRC server %s did not complete the "+
			"registration: %v; retrying with backoff", addr, err)
	}
	return CodeConnectFailed, fmt.Sprintf("connecting to the IRC server %s failed: %v; "+
		"retrying with backoff", addr, err)
}

// isTLSConfigError reports whether a handshake failed in a way that a
// retry cannot fix: the certificate does not verify, or the port responded
// in plain text.
func isTLSConfigError(err error) bool {
	var (
		unknown   x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		plaintext tls.RecordHeaderError
	)
	return errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify) || errors.As(err, &plaintext)
}

// lostConnection types the end of an established connection: always
// retryable, because the server or the network may come back.
func lostConnection(s Settings, err error) *messages.PlatformError {
	return &messages.PlatformError{
		Platform: Name, Code: CodeConnectionLost, Retryable: true, Cause: err,
		Message: fmt.Sprintf("the connection to the IRC server %s was lost: %v; reconnecting "+
			"with backoff", s.IRC.Addr(), err),
	}
}
