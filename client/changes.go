package client

import (
	"context"
	"errors"
	"iter"
	"time"
)

// A Changer yields what committed blocks changed in the chaincode's world
// state, block by block: the source of a projection such as the API's read
// model. Both backends are Changers.
type Changer interface {
	// Changes yields the blocks from number from onwards (replay, then live)
	// until ctx ends or the stream fails. Every block is yielded, also one
	// without a valid transaction of the chaincode, so that a consumer can
	// checkpoint past it.
	Changes(ctx context.Context, from uint64) iter.Seq2[*BlockChanges, error]
}

// BlockChanges are the valid transactions of the chaincode in one block.
type BlockChanges struct {
	Number       uint64
	Transactions []*TxChanges
	// Committed is when the block was committed, as near as the backend
	// tells: the embedded ledger's block time; on Fabric, when the peer
	// delivered it (a block carries no commit time). It measures how far a
	// projection lags behind commit.
	Committed time.Time
}

// TxChanges is one valid transaction: its place in the block, its
// timestamp, its event and the keys it wrote, in the order written.
type TxChanges struct {
	Index     uint32
	ID        string
	Timestamp time.Time
	Event     *Event // nil when the transaction set none
	Writes    []Write
}

// Write is a key a transaction wrote or deleted.
type Write struct {
	Key    string
	Value  []byte
	Delete bool
}

// Changes implements Changer when the client's backend does (both of ours
// do); otherwise it yields one error.
func (c *Client) Changes(ctx context.Context, from uint64) iter.Seq2[*BlockChanges, error] {
	if ch, ok := c.b.(Changer); ok {
		return ch.Changes(ctx, from)
	}
	return func(yield func(*BlockChanges, error) bool) {
		yield(nil, errors.New("client: the backend yields no block changes"))
	}
}
