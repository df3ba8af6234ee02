// Package chaincode is the EfA contract registry's chaincode: parties and
// their signing keys, offerings, price-model versions and usage agreements.
// Every business rule and every authorization check is enforced here, so
// they hold on the embedded ledger and on Hyperledger Fabric alike; the rules
// of the fields and the agreement workflow are stated once in package schema,
// whose messages, records and errors the chaincode speaks.
//
// Member organisations (the Fabric identities that run the ledger) register
// the parties they vouch for, with an admin identity. Every other act is
// signed by the acting party with EIP-712 typed data (secp256k1, Ethereum
// conventions): the chaincode recomputes the digest, recovers the signer and
// checks it against the party's key valid at the transaction timestamp. The
// submitter only relays.
//
// The chaincode is deterministic: time is the transaction timestamp, records
// are JSON of structs (no map iteration), and no clock, randomness or network
// is used. Refusals are *schema.Error values that name the field and the
// rule; a refused act writes nothing.
package chaincode

import (
	"fmt"
	"time"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Name is the chaincode name the registry is deployed under.
const Name = "registry"

// Registry is the contract.
type Registry struct {
	contractapi.Contract
}

// New returns the registry chaincode: the contract served by contractapi,
// its own functions called directly (dispatcher).
func New() (shim.Chaincode, error) {
	contract := &Registry{}
	cc, err := contractapi.NewChaincode(contract)
	if err != nil {
		return nil, fmt.Errorf("chaincode: build registry contract: %w", err)
	}
	cc.Info.Title = "EfA contract registry"
	cc.Info.Version = schema.DomainVersion
	return newDispatcher(cc, contract)
}

// tx is one invocation: the stub, the caller and the transaction's time.
type tx struct {
	stub    shim.ChaincodeStubInterface
	ctx     contractapi.TransactionContextInterface
	now     time.Time
	txID    string
	channel string
}

func begin(ctx contractapi.TransactionContextInterface) (*tx, error) {
	stub := ctx.GetStub()
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, fmt.Errorf("transaction timestamp: %w", err)
	}
	return &tx{stub: stub, ctx: ctx, now: ts.AsTime().UTC(), txID: stub.GetTxID(), channel: stub.GetChannelID()}, nil
}

// unix is the transaction time in Unix seconds.
func (t *tx) unix() schema.Uint { return schema.Uint(max(t.now.Unix(), 0)) }

// stamp names this transaction on a record it changes.
func (t *tx) stamp() schema.Stamp {
	return schema.Stamp{TxID: t.txID, Time: t.now.Format(time.RFC3339Nano)}
}

// today is the transaction's date, YYYY-MM-DD.
func (t *tx) today() string { return t.now.Format(time.DateOnly) }
