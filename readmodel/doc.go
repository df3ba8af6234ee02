// Package readmodel is the API's read model: a local projection of the
// chaincode's committed writes and events into SQLite, checkpointed by
// block, that serves the REST reads and listings of parties, offerings and
// agreements, the catalogue search and the event feed (SSE and webhooks)
// on both backends.
//
// The ledger stays the only source of truth. The projection is built from
// the blocks a client.Changer yields (the embedded ledger's blocks, or the
// Fabric peer's block events), one SQLite transaction per block, the
// checkpoint in the same transaction: after a crash it resumes at the first
// block it had not finished, and applies each block exactly once. Every
// event names a record and the SHA-256 of that record as stored; the
// projection checks the write against it and stops with ErrMismatch when
// they differ. A database that is missing is rebuilt from the chain.
//
// Why SQLite through modernc.org/sqlite: it is pure Go (no cgo, so the
// static binaries and FROM-scratch images stay as they are), one file in
// the data directory, with FTS5 for the catalogue search, WAL for readers
// beside the one writer, and indexes for any combination of filters. The
// embedded ledger's bbolt would need every index and the full-text search
// written by hand.
package readmodel
