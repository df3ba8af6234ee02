package client

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"

	"github.com/efa-marktplatz/registry/evidence"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
)

// Embedded is the backend of the embedded ledger.
type Embedded struct {
	l         *ledger.Ledger
	id        *ledger.Identity
	chaincode string
}

// NewEmbedded returns a backend that runs the chaincode on the embedded
// ledger as the given identity.
func NewEmbedded(l *ledger.Ledger, id *ledger.Identity, chaincodeName string) *Embedded {
	return &Embedded{l: l, id: id, chaincode: chaincodeName}
}

func (e *Embedded) proposal(function string, args []string) ledger.Proposal {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	return ledger.Proposal{Chaincode: e.chaincode, Function: function, Args: bs}
}

// embeddedErr maps the ledger's errors to the client's.
func embeddedErr(err error) error {
	var ce *ledger.ChaincodeError
	if errors.As(err, &ce) {
		re, _ := schema.ParseError(ce.Message)
		return &EndorseError{TxID: ce.TxID, Registry: re, Err: err}
	}
	var cmt *ledger.CommitError
	if errors.As(err, &cmt) {
		return &CommitError{TxID: cmt.TxID, BlockNumber: cmt.BlockNumber, ValidationCode: cmt.ValidationCode}
	}
	if errors.Is(err, ledger.ErrClosed) || errors.Is(err, ledger.ErrFailed) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// Submit implements Backend.
func (e *Embedded) Submit(ctx context.Context, function string, args ...string) (*Result, error) {
	c, err := e.l.Submit(ctx, e.id, e.proposal(function, args))
	if err != nil {
		return nil, embeddedErr(err)
	}
	return &Result{TxID: c.TxID, BlockNumber: c.BlockNumber, Payload: c.Payload}, nil
}

// Evaluate implements Backend.
func (e *Embedded) Evaluate(ctx context.Context, function string, args ...string) ([]byte, error) {
	out, err := e.l.Evaluate(ctx, e.id, e.proposal(function, args))
	if err != nil {
		err = embeddedErr(err)
		var ee *EndorseError
		if errors.As(err, &ee) {
			ee.TxID = "" // a query is no transaction
		}
		return nil, err
	}
	return out, nil
}

// ChaincodeEvents implements Backend: replay from the position's block,
// skipping events up to and including its transaction, then live.
func (e *Embedded) ChaincodeEvents(ctx context.Context, from Position) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		skipping := from.TransactionID != ""
		for ev, err := range e.l.ChaincodeEvents(ctx, e.chaincode, ledger.Checkpoint{BlockNumber: from.BlockNumber}) {
			if err != nil {
				yield(nil, embeddedErr(err))
				return
			}
			if skipping {
				if ev.BlockNumber == from.BlockNumber {
					if ev.TxID == from.TransactionID {
						skipping = false
					}
					continue
				}
				skipping = false
			}
			if !yield(&Event{BlockNumber: ev.BlockNumber, TxID: ev.TxID, Chaincode: ev.Chaincode, Name: ev.Name, Payload: ev.Payload}, nil) {
				return
			}
		}
	}
}

// Height implements Backend.
func (e *Embedded) Height(context.Context) (uint64, error) {
	if err := e.l.Healthy(); err != nil {
		return 0, embeddedErr(err)
	}
	return e.l.Height(), nil
}

// Close implements Backend; the ledger stays open (its owner closes it).
func (e *Embedded) Close() error { return nil }

// Version is the ledger's height: committed state, and so every query's
// answer, is the same while it is unchanged. The API caches reads by it.
func (e *Embedded) Version() uint64 { return e.l.Height() }

// Evidence implements evidencer: the embedded ledger's blocks for the
// transactions (see ledger.Proof), from the genesis block, then from the
// first block holding one of them (or from, a pinned checkpoint) on.
func (e *Embedded) Evidence(_ context.Context, txIDs []string, from *uint64) (*evidence.Set, error) {
	start := uint64(math.MaxUint64)
	if from != nil {
		start = *from
	}
	blocks, err := e.l.Proof(txIDs, start)
	if err != nil {
		return nil, embeddedErr(err)
	}
	return &evidence.Set{Backend: evidence.BackendEmbedded, Channel: e.l.ChannelID(), Chaincode: e.chaincode, Embedded: blocks}, nil
}

// TxBlock implements Backend.
func (e *Embedded) TxBlock(_ context.Context, txID string) (uint64, error) {
	_, loc, err := e.l.Transaction(txID)
	if err != nil {
		return 0, embeddedErr(err)
	}
	return loc.BlockNumber, nil
}

// Channel implements Backend.
func (e *Embedded) Channel() string { return e.l.ChannelID() }

// Changes implements Changer from the ledger's blocks.
func (e *Embedded) Changes(ctx context.Context, from uint64) iter.Seq2[*BlockChanges, error] {
	return func(yield func(*BlockChanges, error) bool) {
		for b, err := range e.l.Blocks(ctx, from) {
			if err != nil {
				yield(nil, embeddedErr(err))
				return
			}
			out := &BlockChanges{Number: b.Header.Number, Committed: b.Header.Timestamp}
			for i, t := range b.Transactions {
				if !t.Valid() || t.Chaincode != e.chaincode {
					continue
				}
				tc := &TxChanges{Index: uint32(i), ID: t.ID, Timestamp: t.Timestamp}
				if t.Event != nil {
					tc.Event = &Event{BlockNumber: b.Header.Number, TxID: t.ID, Chaincode: t.Chaincode, Name: t.Event.Name, Payload: t.Event.Payload}
				}
				for _, w := range t.RWSet.Writes {
					tc.Writes = append(tc.Writes, Write{Key: w.Key, Value: w.Value, Delete: w.IsDelete})
				}
				out.Transactions = append(out.Transactions, tc)
			}
			if !yield(out, nil) {
				return
			}
		}
	}
}
