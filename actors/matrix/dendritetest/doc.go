// Package dendritetest runs a real Matrix homeserver for tests: a
// Dendrite process on 127.0.0.1 with a configuration generated in a
// temporary folder, and accounts created with Dendrite's create-account
// tool.
//
// The generated dendrite.yaml keeps the server to itself: federation is
// disabled, no key perspective server, identity server or stats endpoint
// is configured, open registration is disabled (accounts are created
// through the shared-secret registration that create-account uses), every
// database is an SQLite file in the temporary folder, and the client API
// listens on a free port on 127.0.0.1 only. The signing key is generated
// with generate-keys --private-key. Client rate limiting is off, so that
// tests are not slowed down by it.
//
// The binaries dendrite, create-account and generate-keys are looked up in
// $ACTORGATE_BIN_DIR, by default ${XDG_CACHE_HOME:-$HOME/.cache}/actorgate/bin,
// where scripts/dendrite.sh builds them. When one is missing, Start skips
// the test unless ACTORGATE_MATRIX_TESTS is set, in which case it fails
// it: a machine that is meant to run the Matrix tests must not skip them
// silently.
package dendritetest
