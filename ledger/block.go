package ledger

import (
	"crypto/x509"

	"github.com/efa-marktplatz/registry/ledger/block"
	"github.com/efa-marktplatz/registry/ledger/internal/codec"
)

// The block format lives in package block, which neither the store nor the
// chaincode shim weighs down, so that proofs can be checked anywhere (in a
// browser too). These names keep the ledger's API as it was.
type (
	// Version is block.Version.
	Version = block.Version
	// BlockHeader is block.Header.
	BlockHeader = block.Header
	// Block is block.Block.
	Block = block.Block
	// ChainConfig is block.ChainConfig.
	ChainConfig = block.ChainConfig
	// Transaction is block.Transaction.
	Transaction = block.Transaction
	// Event is block.Event.
	Event = block.Event
	// RWSet is block.RWSet.
	RWSet = block.RWSet
	// KVRead is block.KVRead.
	KVRead = block.KVRead
	// RangeQuery is block.RangeQuery.
	RangeQuery = block.RangeQuery
	// KVWrite is block.KVWrite.
	KVWrite = block.KVWrite
	// MetadataWrite is block.MetadataWrite.
	MetadataWrite = block.MetadataWrite
	// RawBlock is block.Raw: a block exactly as stored, as Proof returns it.
	RawBlock = block.Raw
	// Checkpoint is block.Checkpoint: a position in the event stream.
	Checkpoint = block.Checkpoint
)

var (
	// ErrCorrupt marks a stored record that cannot be decoded. Verify and the
	// readers wrap it with the record that failed.
	ErrCorrupt = codec.ErrCorrupt
	// ErrBadBlock says a raw block does not hold together (block.ErrInvalid).
	ErrBadBlock = block.ErrInvalid
)

// DecodeRawBlock decodes a raw block without the store: see block.DecodeRaw.
func DecodeRawBlock(r *RawBlock) (*Block, error) { return block.DecodeRaw(r) }

// VerifyHeaderSignature checks the node's signature over a block header: see
// block.VerifySignature.
func VerifyHeaderSignature(h *BlockHeader, sig []byte, node *x509.Certificate) error {
	return block.VerifySignature(h, sig, node)
}
