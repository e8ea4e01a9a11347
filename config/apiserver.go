package config

import (
	"net"
	"path/filepath"
	"strconv"
)

// Addr returns the listen address, host:port, with an IPv6 host in
// brackets.
func (c APIServerConfig) Addr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// ResolvedDBPath returns the path of the responses database: DBPath when
// it is absolute, DBPath inside home when it is relative, and
// home/responses.db when it is empty. It returns "" when both DBPath and
// home are empty.
func (c APIServerConfig) ResolvedDBPath(home string) string {
	switch {
	case c.DBPath == "" && home == "":
		return ""
	case c.DBPath == "":
		return filepath.Join(home, ResponsesDB)
	case filepath.IsAbs(c.DBPath) || home == "":
		return c.DBPath
	}

	return filepath.Join(home, c.DBPath)
}
