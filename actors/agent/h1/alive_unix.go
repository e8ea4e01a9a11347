//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package h1

import (
	"net"
	"syscall"
)

// isAlive reports whether an idle connection is still open, without
// blocking: it peeks at the socket. EOF or an error means the server closed
// it, and bytes waiting are a reply to no request, so both count as dead.
// Connections that expose no file descriptor count as alive.
func isAlive(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	err = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		for {
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if err == syscall.EINTR {
				continue
			}
			alive = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
			// Returning true ends RawConn.Read here, so it does not wait
			// for the socket to become readable.
			return true
		}
	})
	return err == nil && alive
}
