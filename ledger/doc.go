// Package ledger is the registry's embedded single-node ledger: it runs
// Hyperledger Fabric chaincode written with fabric-contract-api-go in-process,
// unchanged, over a durable store, with the transaction flow of a Fabric peer.
//
// A proposal is simulated against a consistent snapshot of committed state
// through the ledger's own implementation of shim.ChaincodeStubInterface,
// which collects a read/write set (key versions read, ranges iterated, writes,
// validation-parameter changes, the chaincode event). The ordering service
// batches concurrent transactions into blocks (group commit: at most
// Options.MaxBlockTxs transactions or Options.BatchTimeout). The committer
// validates each transaction in block order — duplicate id, MVCC read
// versions, phantom reads in iterated ranges — gives it Fabric's validation
// code, applies the valid ones, and writes state, history, indexes and the
// block in one store transaction, then answers the submitters.
//
// Blocks are linked by the SHA-256 of their headers and signed by the node's
// ECDSA P-256 key, whose certificate the genesis block records. Verify walks
// the chain from genesis and cross-checks state, history and indexes against
// it, naming the first entry that does not match. The block format — headers,
// the chain configuration, transaction records and their encodings — is
// package ledger/block, which checks the blocks of a proof without the store.
//
// What Verify proves is bounded by what the node holds: its signing key lies
// in the same data directory as the store, so whoever can rewrite the store
// and read the key can re-sign a whole new chain, and a store cut back to an
// earlier head (or an older copy of it) verifies as the shorter chain it is.
// Anchoring a head hash outside the node — an auditor's checkpoint — closes
// both; the proof bundles for auditors build on that.
//
// # Store
//
// The store is go.etcd.io/bbolt, chosen over cockroachdb/pebble because:
//
//   - a bbolt read-write transaction commits atomically with fsync, so a
//     block with all its state changes is wholly on disk or not at all, which
//     is exactly the commit unit of a ledger — no write-ahead log or recovery
//     code of our own;
//   - read transactions are MVCC snapshots that never block the committer,
//     which gives every simulation a consistent view of committed state;
//   - its B+tree keeps keys in order, so range and partial-composite-key
//     queries are cursor walks, as LevelDB gives a Fabric peer;
//   - the workload is read-mostly (portals read; contracts are concluded at
//     human speed), where a B+tree beats an LSM tree, and there is no
//     background compaction competing for two cores;
//   - it is one file and one small dependency, kept by the etcd maintainers,
//     who run it under every Kubernetes cluster.
//
// Pebble would write faster under heavy random inserts; group commit makes
// that moot here (one fsync per block, not per transaction).
//
// Memory: bbolt maps the file read-only and reads through the map. The
// committer and the readers hand the mapped pages back to the kernel's page
// cache at most every 100ms (see releaseMapped), so the process's resident
// memory is bounded by what is read and written in that time, not by the
// size of the ledger; the Go heap holds only the blocks in flight. A store commit that fails stops the ledger (ErrFailed)
// until it is reopened.
//
// # Differences from a Fabric peer
//
// One node endorses and orders, so key-level endorsement policies
// (SetStateValidationParameter) are stored, returned and kept with the key as
// Fabric keeps them, but not enforced: Fabric peers enforce them. Private
// data, chaincode-to-chaincode calls, rich (CouchDB) queries and signed
// proposals are not available; those calls return an *UnsupportedError
// naming the call.
package ledger
