// Package evidence is the ledger's evidence of transactions as it leaves a
// ledger: the blocks that hold them, raw, from the embedded ledger or from a
// Fabric channel. Backends produce it (client), proof bundles carry it, and
// the offline verifier (proof) checks it.
package evidence

import "github.com/efa-marktplatz/registry/ledger/block"

// The backends evidence comes from.
const (
	BackendEmbedded = "embedded"
	BackendFabric   = "fabric"
)

// Set is the evidence of a set of transactions on one channel: the blocks
// of the backend that holds them.
type Set struct {
	Backend   string
	Channel   string
	Chaincode string
	// Embedded holds the embedded ledger's blocks from the genesis block on:
	// whole where they hold one of the transactions, headers in between.
	Embedded []block.Raw
	// Fabric holds the Fabric blocks, as the peers' qscc served them.
	Fabric *FabricBlocks
}

// FabricBlocks are Fabric blocks as the peers' qscc served them.
type FabricBlocks struct {
	ConfigBlock []byte   `json:"configBlock"` // the channel's genesis block (common.Block protobuf): its configuration, which auditors pin by hash
	Blocks      [][]byte `json:"blocks"`      // the blocks holding the transactions, ascending by number, no duplicates (common.Block protobuf)
}
