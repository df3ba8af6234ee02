package ledger

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

var (
	// ErrClosed is returned by calls on a closed ledger, and to submitters
	// whose transaction was not ordered before Close.
	ErrClosed = errors.New("ledger: closed")
	// ErrFailed is returned after a store commit failed: the ledger stops
	// committing (fail-stop) until it is reopened.
	ErrFailed = errors.New("ledger: failed, reopen to recover")
	// ErrNotFound is returned for a block or transaction the ledger does not hold.
	ErrNotFound = errors.New("ledger: not found")
	// ErrUnknownChaincode is returned for a proposal to a chaincode the ledger does not run.
	ErrUnknownChaincode = errors.New("ledger: unknown chaincode")
	// ErrUnknownIdentity is returned when the signer's certificate was not
	// issued by an organisation of the local MSP.
	ErrUnknownIdentity = errors.New("ledger: identity not issued by the local MSP")
)

// ChaincodeError is returned when the chaincode answered a proposal with an
// error status (400 and above, as Fabric's endorser treats it): nothing was ordered.
type ChaincodeError struct {
	TxID    string
	Status  int32
	Message string
}

func (e *ChaincodeError) Error() string {
	return fmt.Sprintf("ledger: chaincode returned status %d for transaction %s: %s", e.Status, e.TxID, e.Message)
}

// CommitError is returned by Submit when the transaction was ordered into a
// block but marked invalid by validation; its writes were not applied.
type CommitError struct {
	TxID           string
	BlockNumber    uint64
	ValidationCode peer.TxValidationCode
}

func (e *CommitError) Error() string {
	return fmt.Sprintf("ledger: transaction %s committed in block %d with validation code %s", e.TxID, e.BlockNumber, e.ValidationCode)
}

// UnsupportedError is returned to chaincode that calls a shim function the
// embedded ledger does not provide (private data, chaincode-to-chaincode calls,
// rich queries). It names the call.
type UnsupportedError struct {
	Call   string
	Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("ledger: %s is not supported by the embedded ledger: %s", e.Call, e.Reason)
}

// VerifyError names the first block, transaction or state entry that does not
// match the chain.
type VerifyError struct {
	Block     uint64
	Tx        int    // -1 when the failure is not about one transaction
	Namespace string // set for state and history entries
	Key       string // set for state and history entries
	Item      string // set for other stored items (an identity)
	Reason    string
	Err       error
}

func (e *VerifyError) Error() string {
	switch {
	case e.Item != "":
		return fmt.Sprintf("ledger: verify: %s: %s", e.Item, e.Reason)
	case e.Key != "" || e.Namespace != "":
		return fmt.Sprintf("ledger: verify: state %s/%q: %s", e.Namespace, e.Key, e.Reason)
	case e.Tx >= 0:
		return fmt.Sprintf("ledger: verify: block %d transaction %d: %s", e.Block, e.Tx, e.Reason)
	default:
		return fmt.Sprintf("ledger: verify: block %d: %s", e.Block, e.Reason)
	}
}

func (e *VerifyError) Unwrap() error { return e.Err }
