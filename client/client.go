// Package client is the typed client of the registry chaincode, used by the
// REST API and the tools. One interface, Backend, runs transactions on either
// ledger: the embedded single-node ledger (NewEmbedded) or a Hyperledger
// Fabric network through the Fabric Gateway (DialFabric). A Client adds what
// both need: bounded retries of transactions that lost an MVCC race, typed
// errors that callers test with errors.As, and the registry's acts, member
// administration and queries as typed methods (acts.go, queries.go): callers
// never name a chaincode function.
//
// Errors:
//
//   - *EndorseError: the proposal was refused before ordering — by the
//     chaincode (then errors.As also finds its *schema.Error), or because
//     no set of peers could satisfy the endorsement policy;
//   - *SubmitError: the endorsed transaction could not be handed to ordering;
//   - *CommitError: the transaction was ordered but marked invalid (its
//     validation code says why); MVCC and phantom-read conflicts are retried
//     first;
//   - *CommitStatusError: the outcome could not be learned (it may have
//     committed: look it up by transaction id);
//   - ErrUnavailable (wrapped): the ledger cannot be reached, or
//     ErrNoEndorsers: not enough of it to endorse (a peer a policy needs is down).
package client

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// Client is the typed registry client over a backend.
type Client struct {
	b        Backend
	attempts int
}

// Option configures a Client.
type Option func(*Client)

// WithAttempts sets how often a transaction that lost an MVCC race is
// proposed afresh (default 5). Chaincode refusals are never retried.
func WithAttempts(n int) Option {
	return func(c *Client) {
		if n > 0 {
			c.attempts = n
		}
	}
}

// New returns a client over a backend.
func New(b Backend, opts ...Option) *Client {
	c := &Client{b: b, attempts: 5}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Backend returns the client's backend.
func (c *Client) Backend() Backend { return c.b }

// Close closes the backend.
func (c *Client) Close() error { return c.b.Close() }

// Submit submits a transaction, proposing it afresh while it loses a race
// (see retryable), with a short, growing pause, up to the attempt limit.
func (c *Client) Submit(ctx context.Context, function string, args ...string) (*Result, error) {
	var err error
	for attempt := 1; ; attempt++ {
		var r *Result
		r, err = c.b.Submit(ctx, function, args...)
		if err == nil || !retryable(err) || attempt >= c.attempts {
			return r, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("client: %s: %w (after %w)", function, ctx.Err(), err)
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}

// Evaluate runs a query.
func (c *Client) Evaluate(ctx context.Context, function string, args ...string) ([]byte, error) {
	return c.b.Evaluate(ctx, function, args...)
}

// ChaincodeEvents yields the registry's events after a position.
func (c *Client) ChaincodeEvents(ctx context.Context, from Position) iter.Seq2[*Event, error] {
	return c.b.ChaincodeEvents(ctx, from)
}

// Height is the number of blocks on the channel.
func (c *Client) Height(ctx context.Context) (uint64, error) { return c.b.Height(ctx) }

// Versioned is a backend that tells, without a round trip, a version of
// committed state: equal versions mean equal answers to every query.
type Versioned interface {
	Version() uint64
}

// StateVersion returns the backend's state version, if it has one.
func (c *Client) StateVersion() (uint64, bool) {
	v, ok := c.b.(Versioned)
	if !ok {
		return 0, false
	}
	return v.Version(), true
}
