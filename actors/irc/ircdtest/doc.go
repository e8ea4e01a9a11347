// Package ircdtest runs a real IRC server for tests: an ngircd process on
// 127.0.0.1 with a configuration generated in a temporary folder, and a
// small IRC client that plays a user.
//
// The server never reads the system's /etc/ngircd configuration (the
// include folder points into the temporary folder too) and never listens
// on the standard port 6667: every port comes from the kernel (127.0.0.1:0).
// Tests use it to kill the server mid-session (SIGKILL), freeze it
// (SIGSTOP) and restart it on the same port.
//
// ngircd is looked up as $ACTORGATE_NGIRCD, then on PATH, then at
// /usr/sbin/ngircd (Debian package ngircd). When it is missing, Start
// skips the test unless ACTORGATE_IRC_TESTS is set, in which case it fails
// it: a machine that is meant to run the IRC tests must not skip them
// silently. ngircd has no SASL support, so SASL is tested against a
// scripted server in package ircconn instead.
package ircdtest
