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
	// Acts returns the signed acts on a record (party, offering or
	// agreement), oldest first, as stored.
	Acts(ctx context.Context, ref schema.Ref) ([]json.RawMessage, error)
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
	ref := schema.AgreementRef(agreement)
	history, err := src.History(ctx, ref)
	if err != nil {
		return nil, err
	}
	if len(history) == 0 || history[0].IsDelete {
		return nil, fmt.Errorf("proof: agreement %s has no stored value", agreement)
	}
	a := new(schema.Agreement)
	if err := json.Unmarshal(history[0].Value, a); err != nil {
		return nil, fmt.Errorf("proof: agreement %s: %w", agreement, err)
	}
	records := Records{Agreement: history[0].Value}
	txs := newOrderedSet()
	for _, e := range slices.Backward(history) {
		txs.add(e.TxID)
	}
	acts, err := src.Acts(ctx, ref)
	if err != nil {
		return nil, err
	}
	// Acts are only ever appended: acts committed after the agreement's
	// newest change was read belong to a later state, not to this bundle.
	if schema.Uint(len(acts)) < a.ActCount {
		return nil, fmt.Errorf("proof: agreement %s counts %d signed acts, the ledger presents %d", agreement, a.ActCount, len(acts))
	}
	records.AgreementActs = acts[:a.ActCount]
	parties := newOrderedSet()
	for _, raw := range records.AgreementActs {
		var act schema.SignedAct
		if err := json.Unmarshal(raw, &act); err != nil {
			return nil, fmt.Errorf("proof: act on agreement %s: %w", agreement, err)
		}
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
		logged, accepted, err := acceptance(ctx, src, a)
		if err != nil {
			return nil, err
		}
		records.OfferingAcceptance = logged
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

// acceptance finds the Anbieter's acceptance of the offering version the
// agreement names among the offering's signed acts.
func acceptance(ctx context.Context, src Source, a *schema.Agreement) (*LoggedAct, *schema.SignedAct, error) {
	acts, err := src.Acts(ctx, schema.OfferingRef(a.Offering))
	if err != nil {
		return nil, nil, err
	}
	for i, raw := range acts {
		act, m, ok := acceptanceAct(raw)
		if ok && m.Version == a.OfferingVersion && m.OfferingHash == a.OfferingHash {
			return &LoggedAct{Seq: schema.Uint(i + 1), Act: raw}, act, nil
		}
	}
	return nil, nil, fmt.Errorf("proof: no acceptance of offering %s version %d among its acts", a.Offering, a.OfferingVersion)
}

// acceptanceAct decodes a stored act that is an acceptance of an offering.
func acceptanceAct(raw json.RawMessage) (*schema.SignedAct, *schema.AcceptOfferingMessage, bool) {
	var act schema.SignedAct
	if err := json.Unmarshal(raw, &act); err != nil || act.Type != schema.TypeAcceptOffering {
		return nil, nil, false
	}
	var m schema.AcceptOfferingMessage
	if err := schema.DecodeMessage(string(act.Message), &m); err != nil {
		return nil, nil, false
	}
	return &act, &m, true
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
