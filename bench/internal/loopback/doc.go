// Package loopback keeps the benchmark programs on the loopback interface:
// it binds listeners only to loopback addresses, accepts only loopback
// URLs as targets, and publishes a bound address through a file.
package loopback
