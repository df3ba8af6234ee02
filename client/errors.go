package client

import (
	"errors"
	"fmt"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// ErrUnavailable means the ledger could not be reached.
var ErrUnavailable = errors.New("client: ledger unavailable")

// ErrNoEndorsers means the peers that are reachable cannot satisfy the
// endorsement policy (e.g. the peer of an org a key-level policy names is
// down). It is a kind of ErrUnavailable: retry when the peer is back.
var ErrNoEndorsers = fmt.Errorf("%w: no reachable set of peers satisfies the endorsement policy", ErrUnavailable)

// EndorseError is a proposal refused before ordering.
type EndorseError struct {
	// TxID is the proposal's transaction id ("" for a query); it was never
	// ordered.
	TxID string
	// Registry is the chaincode's refusal, when the chaincode refused.
	Registry *schema.Error
	// Mismatch says the endorsers' results differed: they simulated on
	// different ledger heights, and a fresh proposal may succeed.
	Mismatch bool
	// Endorsers are the endorsers that failed, as the Fabric gateway
	// reported them (empty on the embedded ledger).
	Endorsers []EndorserFailure
	Err       error
}

func (e *EndorseError) Error() string {
	if e.Registry != nil {
		return fmt.Sprintf("client: transaction %s refused: %s", e.TxID, e.Registry.Error())
	}
	return fmt.Sprintf("client: transaction %s not endorsed: %v", e.TxID, e.Err)
}

// Unwrap lets errors.As find the chaincode's *schema.Error.
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
// peer that has not yet committed the latest block answers differently).
// Chaincode refusals never are.
func retryable(err error) bool {
	var ce *CommitError
	if errors.As(err, &ce) {
		return ce.ValidationCode == peer.TxValidationCode_MVCC_READ_CONFLICT ||
			ce.ValidationCode == peer.TxValidationCode_PHANTOM_READ_CONFLICT
	}
	var ee *EndorseError
	return errors.As(err, &ee) && ee.Registry == nil && ee.Mismatch
}
