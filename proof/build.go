package proof

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/efa-marktplatz/registry/evidence"
	"github.com/efa-marktplatz/registry/schema"
)

// Source is where Build finds an agreement's records and the ledger's
// evidence of them: a registry client (client.Client is one).
type Source interface {
	// Record returns a record as the ledger stores it.
	Record(ctx context.Context, ref schema.Ref) (json.RawMessage, error)
	// History returns every committed change of a record, newest first.
	History(ctx context.Context, ref schema.Ref) ([]schema.HistoryEntry, error)
	// Evidence returns the blocks that hold the transactions; from, on the
	// embedded ledger, starts the chain of block headers at that block.
	Evidence(ctx context.Context, txIDs []string, from *uint64) (*evidence.Set, error)
}

// BuildOptions shape a proof bundle.
type BuildOptions struct {
	// From, on the embedded ledger, starts the bundle's chain of block
	// headers at this block (e.g. a checkpoint the auditor pinned) instead of
	// the first block holding one of the transactions. Fabric bundles carry
	// whole blocks, each signed by the orderers, and ignore it.
	From *uint64
}

// Build assembles the proof bundle of an agreement: the agreement, its fee
// versions, the price-model and offering versions its terms name, the
// transactions that wrote them and every change of the parties who signed,
// and the ledger's blocks holding those transactions.
func Build(ctx context.Context, src Source, agreement string, o BuildOptions) (*Bundle, error) {
	raw, a, err := record[schema.Agreement](ctx, src, schema.AgreementRef(agreement))
	if err != nil {
		return nil, err
	}
	records := Records{Agreement: raw}
	txs := newOrderedSet()
	if err := addHistory(ctx, src, txs, schema.AgreementRef(a.ID)); err != nil {
		return nil, err
	}
	parties := newOrderedSet()
	for _, act := range a.Acts {
		parties.add(act.Party)
	}

	var priceModels []schema.Uint
	for v := schema.Uint(1); v <= a.FeeVersion; v++ {
		raw, fv, err := record[schema.FeeVersion](ctx, src, schema.FeeVersionRef(a.ID, v))
		if err != nil {
			return nil, err
		}
		records.FeeVersions = append(records.FeeVersions, raw)
		txs.add(fv.Entered.TxID)
		if !slices.Contains(priceModels, fv.PriceModelVersion) {
			priceModels = append(priceModels, fv.PriceModelVersion)
		}
	}
	for _, v := range priceModels {
		raw, pm, err := record[schema.PriceModel](ctx, src, schema.PriceModelRef(a.Offering, v))
		if err != nil {
			return nil, err
		}
		records.PriceModels = append(records.PriceModels, raw)
		txs.add(pm.Published.TxID)
		parties.add(pm.Published.Party)
	}
	if a.OfferingVersion > 0 {
		raw, ov, err := record[schema.OfferingVersion](ctx, src, schema.OfferingVersionRef(a.Offering, a.OfferingVersion))
		if err != nil {
			return nil, err
		}
		records.OfferingVersion = raw
		txs.add(ov.Submitted.TxID)
		parties.add(ov.Submitted.Party)
		raw, accepted, err := acceptance(ctx, src, a)
		if err != nil {
			return nil, err
		}
		records.OfferingAcceptance = raw
		txs.add(accepted.TxID)
		parties.add(accepted.Party)
	}
	for _, p := range parties.list {
		if err := addHistory(ctx, src, txs, schema.PartyRef(p)); err != nil {
			return nil, err
		}
	}

	ev, err := src.Evidence(ctx, txs.list, o.From)
	if err != nil {
		return nil, fmt.Errorf("proof: evidence of agreement %s: %w", a.ID, err)
	}
	return &Bundle{
		Format: Format, Backend: ev.Backend, Channel: ev.Channel, Chaincode: ev.Chaincode, Agreement: a.ID,
		Records: records, Transactions: txs.list,
		EIP712:   EIP712{Domain: schema.Domain(ev.Channel), Types: schema.Types()},
		Embedded: ev.Embedded, Fabric: ev.Fabric,
	}, nil
}

// acceptance finds, in the offering's history, the Anbieter's acceptance of
// the version the agreement names: the offering as that act wrote it, and
// the act.
func acceptance(ctx context.Context, src Source, a *schema.Agreement) (json.RawMessage, *schema.SignedAct, error) {
	entries, err := src.History(ctx, schema.OfferingRef(a.Offering))
	if err != nil {
		return nil, nil, err
	}
	for _, e := range slices.Backward(entries) { // oldest first
		if e.IsDelete {
			continue
		}
		var o schema.Offering
		if err := json.Unmarshal(e.Value, &o); err != nil {
			return nil, nil, fmt.Errorf("proof: offering %s as of tx %s: %w", a.Offering, e.TxID, err)
		}
		if act := acceptanceAct(&o, e.TxID); act != nil && o.PublishedVersion == a.OfferingVersion {
			return e.Value, act, nil
		}
	}
	return nil, nil, fmt.Errorf("proof: no acceptance of offering %s version %d in its history", a.Offering, a.OfferingVersion)
}

// acceptanceAct is the acceptance act that transaction txID added to the
// offering, if it did.
func acceptanceAct(o *schema.Offering, txID string) *schema.SignedAct {
	for i := range o.Acts {
		if o.Acts[i].TxID == txID && o.Acts[i].Type == schema.TypeAcceptOffering {
			return &o.Acts[i]
		}
	}
	return nil
}

// addHistory adds the transactions of every change of a record, oldest first.
func addHistory(ctx context.Context, src Source, txs *orderedSet, ref schema.Ref) error {
	entries, err := src.History(ctx, ref)
	if err != nil {
		return err
	}
	for _, e := range slices.Backward(entries) {
		txs.add(e.TxID)
	}
	return nil
}

// record reads a record and decodes it, keeping its bytes as the bundle
// presents them.
func record[T any](ctx context.Context, src Source, ref schema.Ref) (json.RawMessage, *T, error) {
	raw, err := src.Record(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, nil, fmt.Errorf("proof: %s %s: %w", ref.Record, ref, err)
	}
	return raw, v, nil
}

// orderedSet is a set of strings in the order they were first added.
type orderedSet struct {
	list []string
	seen map[string]bool
}

func newOrderedSet() *orderedSet { return &orderedSet{seen: map[string]bool{}} }

func (s *orderedSet) add(v string) {
	if v != "" && !s.seen[v] {
		s.seen[v] = true
		s.list = append(s.list, v)
	}
}
