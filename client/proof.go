package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/proof"
)

// ErrNoEvidence says the backend cannot hand out ledger evidence.
var ErrNoEvidence = errors.New("client: this backend cannot export ledger evidence")

// LedgerEvidence fetches the embedded ledger's blocks for the transactions
// (see ledger.Proof).
func (e *Embedded) LedgerEvidence(_ context.Context, txIDs []string, o BundleOptions) (*proof.Bundle, error) {
	from := uint64(math.MaxUint64)
	if o.From != nil {
		from = *o.From
	}
	blocks, err := e.l.Proof(txIDs, from)
	if err != nil {
		return nil, embeddedErr(err)
	}
	return &proof.Bundle{Backend: proof.BackendEmbedded, Channel: e.l.ChannelID(), Chaincode: e.chaincode, Embedded: blocks}, nil
}

// evidencer is a backend that exports the evidence of transactions: the
// bundle's backend, channel, chaincode and blocks.
type evidencer interface {
	LedgerEvidence(ctx context.Context, txIDs []string, o BundleOptions) (*proof.Bundle, error)
}

// BundleOptions shape a proof bundle.
type BundleOptions struct {
	// From, on the embedded ledger, starts the bundle's chain of block
	// headers at this block (e.g. a checkpoint the auditor pinned) instead of
	// the first block holding one of the transactions. Fabric bundles carry
	// whole blocks, each signed by the orderers, and ignore it.
	From *uint64
}

// LedgerEvidence fetches the blocks of the transactions from the peer.
func (f *Fabric) LedgerEvidence(ctx context.Context, txIDs []string, _ BundleOptions) (*proof.Bundle, error) {
	l, err := f.Evidence(ctx, txIDs)
	if err != nil {
		return nil, err
	}
	return &proof.Bundle{Backend: proof.BackendFabric, Channel: f.cfg.Channel, Chaincode: f.cfg.Chaincode, Fabric: l}, nil
}

// ProofBundle assembles the proof bundle of an agreement: the agreement, its
// fee versions, the price-model and offering versions its terms name, the
// transactions that wrote them and every change of the parties who signed,
// and the ledger's blocks holding those transactions.
func (c *Client) ProofBundle(ctx context.Context, agreement string, o BundleOptions) (*proof.Bundle, error) {
	ev, ok := c.b.(evidencer)
	if !ok {
		return nil, ErrNoEvidence
	}
	raw, a, err := evaluateRecord[chaincode.Agreement](ctx, c, "GetAgreement", agreement)
	if err != nil {
		return nil, err
	}
	records := proof.Records{Agreement: raw}
	txs := newTxSet()
	if err := c.history(ctx, txs, "agreement", a.ID); err != nil {
		return nil, err
	}
	parties := newTxSet()
	for _, act := range a.Acts {
		parties.add(act.Party)
	}

	priceModels := newTxSet()
	for v := uint64(1); v <= a.FeeVersion; v++ {
		raw, fv, err := evaluateRecord[chaincode.FeeVersion](ctx, c, "GetFeeVersion", a.ID, strconv.FormatUint(v, 10))
		if err != nil {
			return nil, err
		}
		records.FeeVersions = append(records.FeeVersions, raw)
		txs.add(fv.Entered.TxID)
		priceModels.add(strconv.FormatUint(fv.PriceModelVersion, 10))
	}
	for _, v := range priceModels.list {
		raw, pm, err := evaluateRecord[chaincode.PriceModel](ctx, c, "GetPriceModel", a.Offering, v)
		if err != nil {
			return nil, err
		}
		records.PriceModels = append(records.PriceModels, raw)
		txs.add(pm.Published.TxID)
		parties.add(pm.Published.Party)
	}
	if a.OfferingVersion > 0 {
		raw, ov, err := evaluateRecord[chaincode.OfferingVersion](ctx, c, "GetOfferingVersion", a.Offering, strconv.FormatUint(a.OfferingVersion, 10))
		if err != nil {
			return nil, err
		}
		records.OfferingVersion = raw
		txs.add(ov.Submitted.TxID)
		parties.add(ov.Submitted.Party)
	}
	for _, p := range parties.list {
		if err := c.history(ctx, txs, "party", p); err != nil {
			return nil, err
		}
	}

	b, err := ev.LedgerEvidence(ctx, txs.list, o)
	if err != nil {
		return nil, fmt.Errorf("client: evidence of agreement %s: %w", a.ID, err)
	}
	b.Format, b.Agreement, b.Records, b.Transactions = proof.Format, a.ID, records, txs.list
	b.EIP712 = proof.EIP712{Domain: chaincode.Domain(b.Channel), Types: chaincode.Types()}
	return b, nil
}

// history adds the transactions of every change of a record.
func (c *Client) history(ctx context.Context, txs *txSet, record, id string) error {
	_, entries, err := evaluateRecord[[]chaincode.HistoryEntry](ctx, c, "History", record, id)
	if err != nil {
		return err
	}
	for _, e := range slices.Backward(*entries) {
		txs.add(e.TxID)
	}
	return nil
}

// evaluateRecord runs a query and decodes the record it answers, keeping
// the answer's bytes as the bundle presents them.
func evaluateRecord[T any](ctx context.Context, c *Client, function string, args ...string) (json.RawMessage, *T, error) {
	raw, err := c.Evaluate(ctx, function, args...)
	if err != nil {
		return nil, nil, err
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, nil, fmt.Errorf("client: %s%q: %w", function, args, err)
	}
	return raw, v, nil
}

// txSet is an ordered set of strings.
type txSet struct {
	list []string
	seen map[string]bool
}

func newTxSet() *txSet { return &txSet{seen: map[string]bool{}} }

func (s *txSet) add(v string) {
	if v != "" && !s.seen[v] {
		s.seen[v] = true
		s.list = append(s.list, v)
	}
}
