package proof

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

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
	// Invoices returns a page of invoices, as stored; Build lists an
	// agreement's (By "agreement").
	Invoices(ctx context.Context, f schema.Filter, p schema.PageRequest) (*schema.Page[json.RawMessage], error)
	// FigureVersions returns a page of a figure's versions, oldest first,
	// as stored.
	FigureVersions(ctx context.Context, kind, subject string, year schema.Uint, p schema.PageRequest) (*schema.Page[json.RawMessage], error)
	// Allocation returns a published allocation with every input and share.
	Allocation(ctx context.Context, offering string, year, version schema.Uint) (*schema.PublishedAllocation, error)
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
// versions, the price-model and offering versions its terms and invoices
// name, its invoices, the allocations its fee adjustments rest on and the
// figure versions they weigh it with, its usage reports, the transactions
// that wrote them and every change of the parties who signed, and the
// ledger's blocks holding those transactions.
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
	addPriceModel := func(v schema.Uint) {
		if !slices.Contains(priceModels, v) {
			priceModels = append(priceModels, v)
		}
	}
	feeVersions := make([]*schema.FeeVersion, 0, a.FeeVersion)
	for v := schema.Uint(1); v <= a.FeeVersion; v++ {
		raw, fv, err := record[schema.FeeVersion](ctx, src, schema.FeeVersionRef(a.ID, v))
		if err != nil {
			return nil, err
		}
		records.FeeVersions = append(records.FeeVersions, raw)
		txs.add(fv.Entered.TxID)
		addPriceModel(fv.PriceModelVersion)
		feeVersions = append(feeVersions, fv)
	}
	s := &settlement{src: src, a: a, records: &records, txs: txs, parties: parties, priceModel: addPriceModel, figures: newOrderedSet()}
	if err := s.build(ctx, feeVersions); err != nil {
		return nil, err
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

// settlement gathers the money side of an agreement's bundle: its
// invoices, the allocations its fee adjustments name, and the figure
// versions they rest on.
type settlement struct {
	src        Source
	a          *schema.Agreement
	records    *Records
	txs        *orderedSet
	parties    *orderedSet
	priceModel func(schema.Uint) // adds a price-model version the bundle presents
	figures    *orderedSet       // the state keys of the figures presented
	newest     int               // the newest year the records show
}

func (s *settlement) build(ctx context.Context, feeVersions []*schema.FeeVersion) error {
	s.records.Invoices, s.records.Figures, s.records.Allocations = []json.RawMessage{}, []json.RawMessage{}, []AllocationRecord{}
	s.newest = max(yearOf(s.a.OrderDate), yearOf(s.a.Updated.Time))
	if err := s.invoices(ctx); err != nil {
		return err
	}
	if err := s.usage(ctx, feeVersions); err != nil {
		return err
	}
	return s.allocations(ctx, feeVersions)
}

// invoices adds the agreement's invoices, oldest first, and the price-model
// versions whose VAT treatment they apply.
func (s *settlement) invoices(ctx context.Context) error {
	type issued struct {
		raw json.RawMessage
		inv *schema.Invoice
		at  time.Time
	}
	var all []issued
	p := schema.PageRequest{Size: 1000}
	for {
		page, err := s.src.Invoices(ctx, schema.Filter{By: "agreement", Value: s.a.ID}, p)
		if err != nil {
			return fmt.Errorf("proof: invoices of agreement %s: %w", s.a.ID, err)
		}
		for _, item := range page.Items {
			var listed struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(item, &listed); err != nil {
				return fmt.Errorf("proof: invoices of agreement %s: %w", s.a.ID, err)
			}
			raw, inv, err := record[schema.Invoice](ctx, s.src, schema.InvoiceRef(listed.ID))
			if err != nil {
				return err
			}
			at, _ := time.Parse(time.RFC3339Nano, inv.Issued.Time)
			all = append(all, issued{raw, inv, at})
		}
		if page.Bookmark == "" || len(page.Items) == 0 {
			break
		}
		p.Bookmark = page.Bookmark
	}
	slices.SortStableFunc(all, func(x, y issued) int { return cmp.Or(x.at.Compare(y.at), cmp.Compare(x.inv.ID, y.inv.ID)) })
	for _, i := range all {
		s.records.Invoices = append(s.records.Invoices, i.raw)
		s.txs.add(i.inv.Issued.TxID)
		s.parties.add(i.inv.Issued.Party)
		s.priceModel(i.inv.PriceModelVersion)
		s.newest = max(s.newest, int(i.inv.Year), yearOf(i.inv.IssueDate))
	}
	return nil
}

// usage adds every version of the agreement's usage reports: of each year
// from the order's to the newest the records show (or the current one),
// not after the agreement's end.
func (s *settlement) usage(ctx context.Context, feeVersions []*schema.FeeVersion) error {
	if s.a.OrderDate == "" {
		return nil
	}
	last := max(s.newest, time.Now().UTC().Year())
	for _, fv := range feeVersions {
		last = max(last, yearOf(fv.ValidFrom), yearOf(fv.Entered.Time))
	}
	if s.a.EndDate != "" {
		last = min(last, yearOf(s.a.EndDate))
	}
	for y := yearOf(s.a.OrderDate); y <= last; y++ {
		p := schema.PageRequest{Size: 1000}
		for {
			page, err := s.src.FigureVersions(ctx, schema.FigureCases, s.a.ID, schema.Uint(y), p)
			if err != nil {
				return fmt.Errorf("proof: usage of agreement %s in %d: %w", s.a.ID, y, err)
			}
			for _, raw := range page.Items {
				if err := s.figure(raw); err != nil {
					return err
				}
			}
			if page.Bookmark == "" || len(page.Items) == 0 {
				break
			}
			p.Bookmark = page.Bookmark
		}
	}
	return nil
}

// figure adds a figure version as stored, once.
func (s *settlement) figure(raw json.RawMessage) error {
	var f schema.Figure
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("proof: figure: %w", err)
	}
	key := f.Ref().Key()
	if s.figures.seen[key] {
		return nil
	}
	s.figures.add(key)
	s.records.Figures = append(s.records.Figures, raw)
	s.txs.add(f.Recorded.TxID)
	if f.Reported != nil {
		s.parties.add(f.Reported.Party)
	}
	return nil
}

// allocations adds every published allocation a fee adjustment of the
// agreement names, its header and entries as the PublishAllocation
// transaction wrote them, and the figure versions the agreement's input
// names.
func (s *settlement) allocations(ctx context.Context, feeVersions []*schema.FeeVersion) error {
	seen := map[schema.Ref]bool{}
	for _, fv := range feeVersions {
		if fv.Entered.Type != schema.TypeAdjustFees {
			continue
		}
		var m schema.AdjustFeesMessage
		if err := schema.DecodeMessage(string(fv.Entered.Message), &m); err != nil {
			return fmt.Errorf("proof: fee version %d of %s: %w", fv.Version, s.a.ID, err)
		}
		ref := schema.AllocationRef(m.Offering, m.Year, m.AllocationVersion)
		if seen[ref] {
			continue
		}
		seen[ref] = true
		pa, err := s.src.Allocation(ctx, m.Offering, m.Year, m.AllocationVersion)
		if err != nil {
			return fmt.Errorf("proof: allocation %s: %w", ref, err)
		}
		if len(pa.Inputs) != len(pa.Shares) {
			return fmt.Errorf("proof: allocation %s: %d inputs, %d shares", ref, len(pa.Inputs), len(pa.Shares))
		}
		// The registry answers with the header and its entries joined;
		// each is stored as the chaincode encoded it (json.Marshal), which
		// a decoded value encodes to again.
		rec := AllocationRecord{Entries: make([]json.RawMessage, 0, len(pa.Shares))}
		var own *schema.AllocationInput
		for i := range pa.Shares {
			raw, err := json.Marshal(schema.AllocationEntry{Input: pa.Inputs[i], Share: pa.Shares[i]})
			if err != nil {
				return fmt.Errorf("proof: allocation %s: %w", ref, err)
			}
			rec.Entries = append(rec.Entries, raw)
			if pa.Inputs[i].Agreement == s.a.ID {
				own = &pa.Inputs[i]
			}
		}
		header := *pa
		header.Inputs, header.Shares = []schema.AllocationInput{}, []schema.AllocationShare{}
		if rec.Header, err = json.Marshal(header); err != nil {
			return fmt.Errorf("proof: allocation %s: %w", ref, err)
		}
		s.records.Allocations = append(s.records.Allocations, rec)
		s.txs.add(pa.Published.TxID)
		s.parties.add(pa.Published.Party)
		s.priceModel(pa.PriceModelVersion)
		if own == nil {
			continue // the verifier reports it
		}
		for _, in := range inputFigures(own, pa.Offering, pa.Year) {
			raw, err := s.src.Record(ctx, in.ref)
			if err != nil {
				return fmt.Errorf("proof: allocation %s: %s figure: %w", ref, in.ref.ID, err)
			}
			if err := s.figure(raw); err != nil {
				return err
			}
		}
	}
	return nil
}

// inputFigure is a figure version an allocation input names.
type inputFigure struct {
	kind  string
	ref   schema.Ref
	value *schema.FigureValue
}

// inputFigures lists the figure versions an agreement's allocation input
// names, in the order of the distribution keys.
func inputFigures(in *schema.AllocationInput, offering string, year schema.Uint) []inputFigure {
	var out []inputFigure
	for _, f := range []struct {
		kind, subject string
		value         *schema.FigureValue
	}{
		{schema.FigureInhabitants, in.Customer, in.Inhabitants},
		{schema.FigureCases, in.Agreement, in.Cases},
		{schema.FigureTargetGroup, schema.TargetGroupSubject(in.Customer, offering), in.TargetGroup},
		{schema.FigureKoenigsteiner, in.Land, in.Koenigsteiner},
	} {
		if f.value != nil {
			out = append(out, inputFigure{f.kind, schema.FigureRef(f.kind, f.subject, year, f.value.Version), f.value})
		}
	}
	return out
}

// yearOf is the year of a date or time written YYYY-…; 0 if there is none.
func yearOf(s string) int {
	if len(s) < 4 {
		return 0
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil {
		return 0
	}
	return y
}
