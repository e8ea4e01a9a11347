// Command proxy is the baseline the benchmark harness holds the gateway
// against: a bare net/http/httputil reverse proxy in front of one loopback
// upstream, with a transport tuned for many keep-alive connections to that
// one host and pooled copy buffers.
//
// It listens on a loopback address only, writes its URL to the file named
// by -addr-file once the listener is bound, and exits by itself after
// -lifetime.
package main
