package client

import (
	"context"
	"iter"
)

// Backend runs transactions of one chaincode as one identity.
type Backend interface {
	// Submit endorses, orders and commits a transaction and returns its result.
	Submit(ctx context.Context, function string, args ...string) (*Result, error)
	// Evaluate runs a query on committed state; nothing is ordered.
	Evaluate(ctx context.Context, function string, args ...string) ([]byte, error)
	// ChaincodeEvents yields the chaincode's events after the position
	// (replay, then live) until ctx ends or the stream fails.
	ChaincodeEvents(ctx context.Context, from Position) iter.Seq2[*Event, error]
	// Height is the number of blocks on the channel.
	Height(ctx context.Context) (uint64, error)
	// TxBlock is the number of the block that holds a committed transaction.
	TxBlock(ctx context.Context, txID string) (uint64, error)
	// Channel names the channel, whose EIP-712 domain acts are signed in.
	Channel() string
	// Close releases the backend's connections.
	Close() error
}

// Result is a committed transaction.
type Result struct {
	TxID        string
	BlockNumber uint64
	Payload     []byte
	// Replayed says the act had been committed before, by this transaction:
	// it was sent again (after a lost answer, say), and Payload is the
	// record as that transaction wrote it.
	Replayed bool
	// Unchanged says the request changed nothing, so no transaction was
	// submitted: TxID and Payload are the record's last change.
	Unchanged bool
}

// Event is a chaincode event of a committed, valid transaction.
type Event struct {
	BlockNumber uint64
	TxID        string
	Chaincode   string
	Name        string
	Payload     []byte
}

// Position is where an event stream resumes: the block in which the next
// event is expected and the last processed transaction in it ("" for none).
// It has the meaning of the Fabric Gateway's checkpoints on both backends.
type Position struct {
	BlockNumber   uint64 `json:"blockNumber"`
	TransactionID string `json:"transactionId"`
}

// After returns the position just after an event.
func (e *Event) After() Position { return Position{BlockNumber: e.BlockNumber, TransactionID: e.TxID} }
