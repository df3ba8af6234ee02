package client

import (
	"context"
	"errors"

	"github.com/efa-marktplatz/registry/evidence"
)

// ErrNoEvidence says the backend cannot hand out ledger evidence.
var ErrNoEvidence = errors.New("client: this backend cannot export ledger evidence")

// evidencer is a backend that exports the evidence of transactions.
type evidencer interface {
	Evidence(ctx context.Context, txIDs []string, from *uint64) (*evidence.Set, error)
}

// Evidence returns the blocks that hold the transactions (see
// Embedded.Evidence and Fabric.Evidence). With the client's Record and
// History it is the source proof.Build assembles bundles from.
func (c *Client) Evidence(ctx context.Context, txIDs []string, from *uint64) (*evidence.Set, error) {
	ev, ok := c.b.(evidencer)
	if !ok {
		return nil, ErrNoEvidence
	}
	return ev.Evidence(ctx, txIDs, from)
}
