// Package client is the typed client of the registry chaincode, used by the
// REST API and the tools. One interface, Backend, runs transactions on either
// ledger: the embedded single-node ledger (NewEmbedded) or a Hyperledger
// Fabric network through the Fabric Gateway (DialFabric). A Client adds what
// both need: bounded retries of transactions that lost an MVCC race, typed
// errors that callers test with errors.As, and the registry's acts and
// queries by name.
//
// Errors:
//
//   - *EndorseError: the proposal was refused before ordering — by the
//     chaincode (then errors.As also finds its *chaincode.Error), or because
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
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
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
	// Close releases the backend's connections.
	Close() error
}

// Result is a committed transaction.
type Result struct {
	TxID        string
	BlockNumber uint64
	Payload     []byte
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

// ErrUnavailable means the ledger could not be reached.
var ErrUnavailable = errors.New("client: ledger unavailable")

// ErrNoEndorsers means the peers that are reachable cannot satisfy the
// endorsement policy (e.g. the peer of an org a key-level policy names is
// down). It is a kind of ErrUnavailable: retry when the peer is back.
var ErrNoEndorsers = fmt.Errorf("%w: no reachable set of peers satisfies the endorsement policy", ErrUnavailable)

// EndorseError is a proposal refused before ordering.
type EndorseError struct {
	TxID string
	// Registry is the chaincode's refusal, when the chaincode refused.
	Registry *chaincode.Error
	Err      error
}

func (e *EndorseError) Error() string {
	if e.Registry != nil {
		return fmt.Sprintf("client: transaction %s refused: %s", e.TxID, e.Registry.Error())
	}
	return fmt.Sprintf("client: transaction %s not endorsed: %v", e.TxID, e.Err)
}

// Unwrap lets errors.As find the chaincode's *chaincode.Error.
func (e *EndorseError) Unwrap() []error {
	if e.Registry != nil {
		return []error{e.Registry, e.Err}
	}
	return []error{e.Err}
}

// SubmitError is an endorsed transaction that could not be ordered.
type SubmitError struct {
	TxID string
	Err  error
}

func (e *SubmitError) Error() string {
	return fmt.Sprintf("client: transaction %s not ordered: %v", e.TxID, e.Err)
}

func (e *SubmitError) Unwrap() error { return e.Err }

// CommitError is a transaction ordered into a block but marked invalid.
type CommitError struct {
	TxID           string
	BlockNumber    uint64
	ValidationCode peer.TxValidationCode
}

func (e *CommitError) Error() string {
	return fmt.Sprintf("client: transaction %s invalid in block %d: %s", e.TxID, e.BlockNumber, e.ValidationCode)
}

// CommitStatusError is a transaction whose outcome could not be learned.
type CommitStatusError struct {
	TxID string
	Err  error
}

func (e *CommitStatusError) Error() string {
	return fmt.Sprintf("client: commit status of transaction %s unknown: %v", e.TxID, e.Err)
}

func (e *CommitStatusError) Unwrap() error { return e.Err }

// retryable reports whether a transaction lost a race and a fresh proposal
// may succeed: an MVCC or phantom-read conflict with a concurrent
// transaction, or endorsers that simulated on different ledger heights (a
// peer that has not yet committed the latest block answers differently:
// "ProposalResponsePayloads do not match"). Chaincode refusals never are.
func retryable(err error) bool {
	var ce *CommitError
	if errors.As(err, &ce) {
		return ce.ValidationCode == peer.TxValidationCode_MVCC_READ_CONFLICT ||
			ce.ValidationCode == peer.TxValidationCode_PHANTOM_READ_CONFLICT
	}
	var ee *EndorseError
	return errors.As(err, &ee) && ee.Registry == nil && strings.Contains(ee.Err.Error(), "ProposalResponsePayloads do not match")
}

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

// Act submits a party's signed act: the EIP-712 message (JSON) and its
// signature; AddKey also takes the new key's proof of possession. It returns
// the record the act changed.
func (c *Client) Act(ctx context.Context, primaryType, message, signature string, proofOfPossession ...string) (json.RawMessage, *Result, error) {
	known := false
	for _, t := range chaincode.ActTypes {
		known = known || t == primaryType
	}
	if !known {
		return nil, nil, &chaincode.Error{Code: chaincode.CodeInvalid, Field: "type", Rule: fmt.Sprintf("unknown act %q", primaryType)}
	}
	args := append([]string{message, signature}, proofOfPossession...)
	r, err := c.Submit(ctx, primaryType, args...)
	if err != nil {
		return nil, nil, err
	}
	return json.RawMessage(r.Payload), r, nil
}

// Query evaluates a registry query and decodes its JSON answer.
func Query[T any](ctx context.Context, c *Client, function string, args ...string) (T, error) {
	var out T
	raw, err := c.Evaluate(ctx, function, args...)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("client: decode %s: %w", function, err)
	}
	return out, nil
}
