package proof

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/schema"
)

// The money side: the figure versions an agreement's fee adjustments rest
// on, the published allocations they name, and the agreement's invoices.
// Each is recomputed as presented, so that a changed cent is named where it
// is wrong, besides the record check that says it is not what the ledger
// holds.

// presentedFigure is a figure version as the bundle presents it.
type presentedFigure struct {
	f       schema.Figure
	tx      *Tx  // the transaction of the bundle that last wrote its key; nil if none
	written bool // the presented figure is the value tx wrote
}

// figures checks the presented figure versions: each is the value its
// transaction wrote; a usage report (kind cases) is the agreement's, and
// carries the supplier's signed act, which signed exactly its cases. The
// versions of a year's usage are presented from the first on, without a gap.
func (c *checker) figures(a *schema.Agreement, st *SignedTerms) map[string]*presentedFigure {
	figs := map[string]*presentedFigure{}
	usage := map[schema.Uint][]schema.Uint{} // versions presented, by year
	for _, raw := range c.b.Records.Figures {
		var f schema.Figure
		if err := json.Unmarshal(raw, &f); err != nil {
			c.r.Add(CheckRecordWritten, "figure", fmt.Errorf("decode: %w", err))
			continue
		}
		subject := figureName(&f)
		key := f.Ref().Key()
		if figs[key] != nil {
			c.r.Add(CheckRecordWritten, subject, errors.New("the bundle presents it twice"))
			continue
		}
		tx, ok := c.presented(subject, key, raw, new(schema.Figure))
		figs[key] = &presentedFigure{f: f, tx: tx, written: ok}
		if f.Kind != schema.FigureCases {
			continue // vouched for by a member org: proven by the endorsed transaction that wrote it
		}
		if f.Subject != a.ID {
			c.r.Add(CheckRecordWritten, subject, fmt.Errorf("a usage report of agreement %s, not of %s", f.Subject, a.ID))
			continue
		}
		usage[f.Year] = append(usage[f.Year], f.Version)
		if f.Reported == nil {
			c.r.Add(CheckSignedMessage, subject, errors.New("a usage report without the supplier's signed act"))
			continue
		}
		switch m := c.act("figure", f.Reported, key, key, []string{a.Supplier}, st).(type) {
		case nil:
		case *schema.ReportUsageMessage:
			var err error
			if m.Agreement != f.Subject || m.Year != f.Year || m.Cases != f.Value || m.Replaces != f.Replaces {
				err = fmt.Errorf("signed %d cases of agreement %s in %d (replacing version %d); the record has %d cases of %s in %d (replacing version %d)",
					m.Cases, m.Agreement, m.Year, m.Replaces, f.Value, f.Subject, f.Year, f.Replaces)
			}
			c.r.Add(CheckSignedMessage, actName(f.Reported), err)
		default:
			c.r.Add(CheckSignedMessage, subject, fmt.Errorf("reported by a %s act, not ReportUsage", f.Reported.Type))
		}
	}
	for _, year := range slices.Sorted(maps.Keys(usage)) {
		versions := usage[year]
		slices.Sort(versions)
		for i, v := range versions {
			if v != schema.Uint(i+1) {
				c.r.Add(CheckRecordWritten, fmt.Sprintf("usage of %s in %d", a.ID, year),
					fmt.Errorf("the bundle presents versions %v: version %d is missing", versions, i+1))
				break
			}
		}
	}
	return figs
}

// allocationID names a published allocation.
type allocationID struct {
	offering      string
	year, version schema.Uint
}

// presentedAllocation is a published allocation as the bundle presents it.
type presentedAllocation struct {
	h       schema.PublishedAllocation
	entries map[string]*schema.AllocationEntry // by agreement
	tx      *Tx                                // the transaction that wrote the header; nil if none
}

// allocations checks the presented allocations: the header and every entry
// are what the PublishAllocation transaction wrote, and all it wrote; the
// allocation recomputes from the presented inputs; the supplier signed its
// hash; and the agreement's own input rests on the presented figures.
func (c *checker) allocations(a *schema.Agreement, pms map[schema.Uint]*schema.PriceModel, figs map[string]*presentedFigure, st *SignedTerms) map[allocationID]*presentedAllocation {
	out := map[allocationID]*presentedAllocation{}
	for _, rec := range c.b.Records.Allocations {
		pa := &presentedAllocation{entries: map[string]*schema.AllocationEntry{}}
		h := &pa.h
		if err := json.Unmarshal(rec.Header, h); err != nil {
			c.r.Add(CheckRecordWritten, "allocation", fmt.Errorf("decode: %w", err))
			continue
		}
		id := allocationID{h.Offering, h.Year, h.Version}
		subject := allocationName(id)
		if h.Offering != a.Offering {
			c.r.Add(CheckRecordWritten, subject, fmt.Errorf("of offering %s, the agreement is for %s", h.Offering, a.Offering))
			continue
		}
		if out[id] != nil {
			c.r.Add(CheckRecordWritten, subject, errors.New("the bundle presents it twice"))
			continue
		}
		out[id] = pa
		key := schema.AllocationRef(h.Offering, h.Year, h.Version).Key()
		pa.tx, _ = c.presented(subject, key, rec.Header, new(schema.PublishedAllocation))
		c.allocationEntries(pa, rec.Entries)

		switch m := c.act("allocation", &h.Published, key, key, []string{a.Supplier}, st).(type) {
		case nil:
		case *schema.PublishAllocationMessage:
			var err error
			if m.Offering != h.Offering || m.Year != h.Year || m.Version != h.Version || m.PriceModelHash != h.PriceModelHash || m.AllocationHash != h.Hash {
				err = fmt.Errorf("signed allocation %s hash %s under price model %s; the record is %s hash %s under %s",
					allocationName(allocationID{m.Offering, m.Year, m.Version}), m.AllocationHash, m.PriceModelHash, subject, h.Hash, h.PriceModelHash)
			}
			c.r.Add(CheckSignedMessage, actName(&h.Published), err)
		default:
			c.r.Add(CheckSignedMessage, subject, fmt.Errorf("published by a %s act, not PublishAllocation", h.Published.Type))
		}
		c.allocationShares(pa, pms)
		c.allocationInputs(a, pa, figs)
	}
	return out
}

// allocationEntries checks that the presented entries of an allocation are
// exactly those its publication wrote, each as written.
func (c *checker) allocationEntries(pa *presentedAllocation, raws []json.RawMessage) {
	h := &pa.h
	subject := allocationName(allocationID{h.Offering, h.Year, h.Version})
	for _, raw := range raws {
		e := new(schema.AllocationEntry)
		if err := json.Unmarshal(raw, e); err != nil {
			c.r.Add(CheckRecordWritten, subject+" entry", fmt.Errorf("decode: %w", err))
			continue
		}
		what := fmt.Sprintf("%s entry of %s", subject, e.Share.Agreement)
		switch {
		case pa.entries[e.Share.Agreement] != nil:
			c.r.Add(CheckAllocationShares, what, errors.New("the bundle presents it twice"))
			continue
		case e.Input.Agreement != e.Share.Agreement:
			c.r.Add(CheckAllocationShares, what, fmt.Errorf("holds the input of agreement %s", e.Input.Agreement))
		}
		pa.entries[e.Share.Agreement] = e
		if pa.tx == nil {
			c.r.Add(CheckRecordWritten, what, errors.New("no transaction of the bundle published the allocation"))
			continue
		}
		w, ok := pa.tx.write(schema.AllocationEntryKey(h.Offering, h.Year, h.Version, e.Share.Agreement))
		if !ok {
			c.r.Add(CheckAllocationShares, what, fmt.Errorf("the publication's transaction %s did not write it", pa.tx.ID))
			continue
		}
		c.matches(what, w, pa.tx, raw, new(schema.AllocationEntry))
	}
	if pa.tx == nil {
		return
	}
	prefix := strings.TrimSuffix(schema.AllocationEntryKey(h.Offering, h.Year, h.Version, ""), "\x00")
	for _, w := range pa.tx.Writes {
		agreement, ok := strings.CutPrefix(w.Key, prefix)
		if !ok {
			continue
		}
		agreement = strings.TrimSuffix(agreement, "\x00")
		if pa.entries[agreement] == nil {
			c.r.Add(CheckAllocationShares, fmt.Sprintf("%s entry of %s", subject, agreement),
				fmt.Errorf("the publication's transaction %s wrote it; the bundle does not present it", pa.tx.ID))
		}
	}
}

// allocationShares recomputes an allocation from its presented inputs
// under the price-model version it names, and compares every share and
// the hash.
func (c *checker) allocationShares(pa *presentedAllocation, pms map[schema.Uint]*schema.PriceModel) {
	h := &pa.h
	subject := allocationName(allocationID{h.Offering, h.Year, h.Version})
	pm := pms[h.PriceModelVersion]
	switch {
	case pm == nil:
		c.r.Add(CheckAllocationShares, subject, fmt.Errorf("price-model version %d is not in the bundle", h.PriceModelVersion))
		return
	case pm.Hash != h.PriceModelHash:
		c.r.Add(CheckAllocationShares, subject, fmt.Errorf("names price-model hash %s, version %d has %s", h.PriceModelHash, pm.Version, pm.Hash))
		return
	}
	inputs := make([]schema.AllocationInput, 0, len(pa.entries))
	for _, agreement := range slices.Sorted(maps.Keys(pa.entries)) {
		inputs = append(inputs, pa.entries[agreement].Input)
	}
	got, err := schema.Allocate(h.Offering, h.Year, h.PriceModelVersion, h.PriceModelHash, &pm.PriceModelContent, inputs)
	if err != nil {
		c.r.Add(CheckAllocationShares, subject, fmt.Errorf("does not recompute from the presented inputs: %s", ruleOf(err)))
		return
	}
	failed := false
	fail := func(what string, err error) {
		failed = true
		c.r.Add(CheckAllocationShares, what, err)
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"pool", h.Pool, got.Pool}, {"central", h.Central, got.Central}, {"chargeable", h.Chargeable, got.Chargeable},
		{"distribution key", h.DistributionKey, got.DistributionKey},
		{"weights", []schema.Uint{h.WeightInhabitants, h.WeightCases, h.WeightTargetGroup, h.WeightKoenigsteiner},
			[]schema.Uint{got.WeightInhabitants, got.WeightCases, got.WeightTargetGroup, got.WeightKoenigsteiner}},
		{"rule", h.Rule, got.Rule},
	} {
		if fmt.Sprint(f.got) != fmt.Sprint(f.want) {
			fail(subject+" "+f.name, fmt.Errorf("presents %v, price-model version %d gives %v", f.got, pm.Version, f.want))
		}
	}
	for _, s := range got.Shares {
		e := pa.entries[s.Agreement]
		if e.Share != s {
			fail(fmt.Sprintf("%s share of %s", subject, s.Agreement),
				fmt.Errorf("presents %d cents (exactly %s), recomputes to %d cents (exactly %s)", e.Share.Cents, e.Share.Exact, s.Cents, s.Exact))
		}
	}
	if got.Hash != h.Hash {
		fail(subject+" hash", fmt.Errorf("recomputed from the presented inputs, the allocation hashes to %s; the record holds %s", got.Hash, h.Hash))
	}
	if !failed {
		c.r.Pass(CheckAllocationShares, subject, fmt.Sprintf("%d shares of %d chargeable cents recompute exactly (schema.AllocationRule, price-model version %d), hash %s",
			len(got.Shares), got.Chargeable, pm.Version, got.Hash))
	}
}

// allocationInputs checks the agreement's own input in an allocation: its
// customer, the customer's Land as the ledger held the party at the
// publication, and each figure version it names: presented, as written,
// with the value the input carries, recorded before the publication; of
// the usage, the latest report then.
func (c *checker) allocationInputs(a *schema.Agreement, pa *presentedAllocation, figs map[string]*presentedFigure) {
	h := &pa.h
	subject := fmt.Sprintf("%s input of %s", allocationName(allocationID{h.Offering, h.Year, h.Version}), a.ID)
	e := pa.entries[a.ID]
	if e == nil {
		c.r.Add(CheckAllocationInputs, subject, errors.New("the allocation presents no entry of this agreement"))
		return
	}
	in := &e.Input
	if in.Customer != a.Customer {
		c.r.Add(CheckAllocationInputs, subject, fmt.Errorf("names customer %s; the agreement's is %s", in.Customer, a.Customer))
		return
	}
	if pa.tx != nil {
		var land string
		if raw, found := c.writtenAsOf(schema.PartyKey(a.Customer), pa.tx); found {
			var p schema.Party
			if json.Unmarshal(raw, &p) == nil {
				land = landOf(&p)
			}
		}
		if land != in.Land {
			c.r.Add(CheckAllocationInputs, subject, fmt.Errorf("names Land %q; party %s as the ledger held it at the publication is of Land %q", in.Land, a.Customer, land))
			return
		}
	}
	for _, want := range inputFigures(in, h.Offering, h.Year) {
		what := fmt.Sprintf("%s (%s)", subject, want.kind)
		pf := figs[want.ref.Key()]
		var err error
		switch {
		case pf == nil:
			err = fmt.Errorf("names %s version %d, which the bundle does not present", want.ref.ID, want.value.Version)
		case pf.f.Value != want.value.Value:
			err = fmt.Errorf("weighs with %d; %s version %d as presented is %d", want.value.Value, want.ref.ID, want.value.Version, pf.f.Value)
		case !pf.written || pf.tx == nil:
			err = fmt.Errorf("%s version %d as presented is not what its transaction wrote", want.ref.ID, want.value.Version)
		case pa.tx != nil && ledgerOrder(pf.tx, pa.tx) > 0:
			err = fmt.Errorf("%s version %d was recorded in tx %s, after the publication", want.ref.ID, want.value.Version, pf.tx.ID)
		case want.kind == schema.FigureCases && pa.tx != nil:
			if latest := latestBefore(figs, want.ref, pa.tx); latest != want.value.Version {
				err = fmt.Errorf("weighs with version %d of %s; version %d was the latest report at the publication", want.value.Version, want.ref.ID, latest)
			}
		}
		if c.r.Add(CheckAllocationInputs, what, err) {
			c.r.Items[len(c.r.Items)-1].Detail = fmt.Sprintf("%s version %d: %d, recorded in tx %s", want.ref.ID, want.value.Version, want.value.Value, pf.tx.ID)
		}
	}
}

// latestBefore is the newest presented version of a figure that a
// transaction before at wrote.
func latestBefore(figs map[string]*presentedFigure, ref schema.Ref, at *Tx) schema.Uint {
	var latest schema.Uint
	for _, pf := range figs {
		if pf.f.Ref().ID == ref.ID && pf.tx != nil && ledgerOrder(pf.tx, at) < 0 {
			latest = max(latest, pf.f.Version)
		}
	}
	return latest
}

// landOf is the two-digit code of a party's Land, from its AGS or ARS, as
// the chaincode takes it; "" when it has neither.
func landOf(p *schema.Party) string {
	switch {
	case len(p.AGS) >= 2:
		return p.AGS[:2]
	case len(p.ARS) >= 2:
		return p.ARS[:2]
	}
	return ""
}

// presentedInvoice is an invoice as the bundle presents it.
type presentedInvoice struct {
	inv schema.Invoice
	key string
	tx  *Tx // the transaction that wrote it, or else the one its act names; nil if neither verified
}

// invoices checks the agreement's invoices, in the ledger order of their
// transactions: each is the value its transaction wrote; the Anbieter's
// act signed its agreement, year and number; its basis is what the
// records hold; it recomputes to the cent; its hash recomputes. Then no
// transaction of the bundle wrote an invoice of the agreement that the
// bundle does not present.
func (c *checker) invoices(a *schema.Agreement, pms map[schema.Uint]*schema.PriceModel, fvs map[schema.Uint]*schema.FeeVersion, st *SignedTerms) {
	var invs []*presentedInvoice
	seen := map[string]bool{}
	for _, raw := range c.b.Records.Invoices {
		p := &presentedInvoice{}
		if err := json.Unmarshal(raw, &p.inv); err != nil {
			c.r.Add(CheckRecordWritten, "invoice", fmt.Errorf("decode: %w", err))
			continue
		}
		subject := "invoice " + p.inv.ID
		if seen[p.inv.ID] {
			c.r.Add(CheckRecordWritten, subject, errors.New("the bundle presents it twice"))
			continue
		}
		seen[p.inv.ID] = true
		p.key = schema.InvoiceRef(p.inv.ID).Key()
		if p.tx, _ = c.presented(subject, p.key, raw, new(schema.Invoice)); p.tx == nil {
			p.tx = c.byID[p.inv.Issued.TxID]
		}
		invs = append(invs, p)
	}
	slices.SortStableFunc(invs, func(x, y *presentedInvoice) int {
		if x.tx == nil || y.tx == nil { // an invoice without a verified transaction last
			return boolOrder(x.tx == nil, y.tx == nil)
		}
		return ledgerOrder(x.tx, y.tx)
	})
	for i, p := range invs {
		inv := &p.inv
		switch m := c.act("invoice", &inv.Issued, p.key, p.key, []string{a.Anbieter}, st).(type) {
		case nil:
		case *schema.IssueInvoiceMessage:
			var err error
			if m.Agreement != inv.Agreement || m.Anbieter != inv.Anbieter || m.Year != inv.Year || m.Number != inv.Number ||
				inv.ID != schema.InvoiceID(m.Anbieter, m.Number) {
				err = fmt.Errorf("signed invoice %s of agreement %s for %d; the record is invoice %s (number %s) of %s for %d",
					schema.InvoiceID(m.Anbieter, m.Number), m.Agreement, m.Year, inv.ID, inv.Number, inv.Agreement, inv.Year)
			}
			c.r.Add(CheckSignedMessage, actName(&inv.Issued), err)
		default:
			c.r.Add(CheckSignedMessage, "invoice "+inv.ID, fmt.Errorf("issued by a %s act, not IssueInvoice", inv.Issued.Type))
		}
		if c.r.Add(CheckInvoiceBasis, "invoice "+inv.ID, c.basisErr(a, p, fvs)) {
			detail := fmt.Sprintf("%d, ordered %s, periods %v", inv.Basis.Year, inv.Basis.OrderDate, inv.Basis.Periods)
			if inv.Basis.EndDate != "" {
				detail += ", ends " + inv.Basis.EndDate
			}
			c.r.Items[len(c.r.Items)-1].Detail = detail
		}
		var earlier []*schema.Invoice
		for _, e := range invs[:i] {
			if e.inv.Year == inv.Year {
				earlier = append(earlier, &e.inv)
			}
		}
		c.invoiceLines(inv, earlier, pms)
		var err error
		if got := schema.InvoiceHash(inv); got != inv.Hash {
			err = fmt.Errorf("the invoice hashes to %s, the record holds %s", got, inv.Hash)
		}
		c.r.Add(CheckInvoiceHash, "invoice "+inv.ID, err)
	}
	// An invoice of the agreement that a transaction of the bundle wrote
	// must be presented.
	prefix := strings.TrimSuffix(schema.InvoiceRef("").Key(), "\x00")
	for _, t := range c.txs {
		for _, w := range t.Writes {
			if !strings.HasPrefix(w.Key, prefix) || w.IsDelete {
				continue
			}
			var inv schema.Invoice
			if json.Unmarshal(w.Value, &inv) != nil || inv.Agreement != a.ID || seen[inv.ID] {
				continue
			}
			c.r.Add(CheckRecordWritten, fmt.Sprintf("invoice %s, written by tx %s in block %d", inv.ID, t.ID, t.Block),
				fmt.Errorf("an invoice of agreement %s; the bundle does not present it", a.ID))
		}
	}
}

// basisErr checks that an invoice is the agreement's and its basis what the
// records hold: the agreement's order date, and its fee periods and end
// date as the ledger held the agreement when the invoice was issued; every
// fee version the presented one; the issue date the transaction's.
func (c *checker) basisErr(a *schema.Agreement, p *presentedInvoice, fvs map[schema.Uint]*schema.FeeVersion) error {
	inv, b := &p.inv, &p.inv.Basis
	switch {
	case inv.Agreement != a.ID || inv.Offering != a.Offering || inv.Customer != a.Customer || inv.Supplier != a.Supplier || inv.Anbieter != a.Anbieter:
		return fmt.Errorf("names agreement %s of offering %s between %s, %s and %s; the agreement is %s of %s between %s, %s and %s",
			inv.Agreement, inv.Offering, inv.Customer, inv.Supplier, inv.Anbieter, a.ID, a.Offering, a.Customer, a.Supplier, a.Anbieter)
	case b.Year != inv.Year:
		return fmt.Errorf("the basis is of %d, the invoice of %d", b.Year, inv.Year)
	case b.OrderDate != a.OrderDate:
		return fmt.Errorf("the basis has order date %q, the agreement %q", b.OrderDate, a.OrderDate)
	}
	if p.tx != nil {
		if day := p.tx.Timestamp.UTC().Format(time.DateOnly); inv.IssueDate != day {
			return fmt.Errorf("issued on %s; its transaction %s ran on %s", inv.IssueDate, p.tx.ID, day)
		}
		raw, found := c.writtenAsOf(schema.AgreementKey(a.ID), p.tx)
		var then schema.Agreement
		if !found || json.Unmarshal(raw, &then) != nil {
			return fmt.Errorf("no transaction of the bundle wrote agreement %s before the invoice", a.ID)
		}
		if then.OrderDate != b.OrderDate || then.EndDate != b.EndDate || !slices.Equal(then.Periods, b.Periods) {
			return fmt.Errorf("the basis has order date %s, end date %q and periods %v; the ledger held the agreement with %s, %q and %v when the invoice was issued (tx %s)",
				b.OrderDate, b.EndDate, b.Periods, then.OrderDate, then.EndDate, then.Periods, p.tx.ID)
		}
	}
	for i := range b.FeeVersions {
		fv := &b.FeeVersions[i]
		presented := fvs[fv.Version]
		if presented == nil || fv.Agreement != a.ID {
			return fmt.Errorf("the basis holds fee version %d of %s, which the bundle does not present", fv.Version, fv.Agreement)
		}
		got, err1 := json.Marshal(fv)
		want, err2 := json.Marshal(presented)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("fee version %d in the basis is not the presented record: %s", fv.Version, firstDifference(got, want))
		}
	}
	for i, period := range b.Periods {
		if !slices.ContainsFunc(b.FeeVersions, func(fv schema.FeeVersion) bool { return fv.Version == period.FeeVersion }) {
			return fmt.Errorf("period %d names fee version %d, which the basis does not hold", i+1, period.FeeVersion)
		}
	}
	return nil
}

// invoiceLines recomputes an invoice from its basis: the lines of
// schema.InvoiceLines, or for a corrective invoice the one line of the
// difference between what the fees come to and what the earlier invoices
// of the year (earlier, in ledger order) billed; the net, the VAT at the
// rate of the price-model version of the basis's last fee version, and the
// total. Every item names the line or amount and gives both amounts.
func (c *checker) invoiceLines(inv *schema.Invoice, earlier []*schema.Invoice, pms map[schema.Uint]*schema.PriceModel) {
	name := "invoice " + inv.ID
	lines, err := schema.InvoiceLines(&inv.Basis)
	if err != nil {
		c.r.Add(CheckInvoiceLines, name, fmt.Errorf("the basis does not compute: %s", ruleOf(err)))
		return
	}
	failed := false
	fail := func(subject, format string, args ...any) {
		failed = true
		c.r.Add(CheckInvoiceLines, subject, fmt.Errorf(format, args...))
	}
	var computed schema.Uint
	for _, l := range lines {
		computed += l.Cents
	}
	want := struct {
		kind     string
		typeCode schema.Uint
		billed   schema.Uint
		corrects string
		lines    []schema.InvoiceLine
	}{schema.InvoiceCommercial, 380, 0, "", lines}
	if len(earlier) > 0 || inv.Corrects != "" || inv.Kind != schema.InvoiceCommercial {
		// A corrective invoice: what the earlier invoices of the year
		// billed, credit notes negative, against what the fees come to.
		var billed int64
		for _, e := range earlier {
			if e.Kind == schema.InvoiceCreditNote {
				billed -= int64(e.Net)
			} else {
				billed += int64(e.Net)
			}
			if want.corrects == "" { // the registry names the year's first invoice
				want.corrects = e.ID
			}
		}
		want.billed = schema.Uint(max(billed, 0))
		if inv.Billed != want.billed {
			fail(name+" billed", "presents %d cents billed; the earlier invoices of %d the bundle presents come to %d (credit notes negative)", inv.Billed, inv.Year, want.billed)
		}
		delta := int64(computed) - billed
		line := schema.InvoiceLine{Kind: schema.LineCorrection, From: schema.YearKey(inv.Year) + "-01-01", To: schema.YearKey(inv.Year) + "-12-31"}
		switch {
		case delta == 0:
			fail(name, "the earlier invoices of %d already bill %d cents, what the fees come to: the registry issues no correction", inv.Year, computed)
			return
		case delta > 0:
			want.kind, want.typeCode, line.Fee, line.Cents = schema.InvoiceCorrected, 384, schema.Uint(delta), schema.Uint(delta)
		default:
			want.kind, want.typeCode, line.Fee, line.Cents = schema.InvoiceCreditNote, 381, schema.Uint(-delta), schema.Uint(-delta)
		}
		want.lines = []schema.InvoiceLine{line}
	}
	if inv.Corrects != want.corrects {
		fail(name+" corrects", "names %q as the invoice it corrects; recomputed, it corrects %q", inv.Corrects, want.corrects)
	}
	if inv.Kind != want.kind || inv.TypeCode != want.typeCode {
		fail(name+" kind", "presents %s (%d), recomputes to %s (%d)", inv.Kind, inv.TypeCode, want.kind, want.typeCode)
	}
	if inv.Computed != computed {
		fail(name+" computed", "presents %d cents as what the fees come to, the lines of its basis recompute to %d", inv.Computed, computed)
	}
	var net schema.Uint
	for i := range max(len(want.lines), len(inv.Lines)) {
		switch {
		case i >= len(inv.Lines):
			w := want.lines[i]
			fail(lineName(inv.ID, i, &w), "recomputes to %d cents; the invoice has no such line", w.Cents)
		case i >= len(want.lines):
			p := inv.Lines[i]
			fail(lineName(inv.ID, i, &p), "presents %d cents; recomputed, the invoice has %d lines", p.Cents, len(want.lines))
		case inv.Lines[i] != want.lines[i]:
			fail(lineName(inv.ID, i, &want.lines[i]), "%s", lineDiff(&inv.Lines[i], &want.lines[i]))
		}
		if i < len(want.lines) {
			net += want.lines[i].Cents
		}
	}
	if inv.Net != net {
		fail(name+" net", "presents %d cents, the lines recompute to %d", inv.Net, net)
	}
	fv := inv.Basis.FeeVersions
	if len(fv) == 0 {
		fail(name+" VAT", "the basis holds no fee version to take the VAT treatment from")
		return
	}
	pmVersion := fv[len(fv)-1].PriceModelVersion
	pm := pms[pmVersion]
	switch {
	case pm == nil:
		fail(name+" VAT", "price-model version %d, whose VAT treatment applies, is not in the bundle", pmVersion)
		return
	case inv.PriceModelVersion != pmVersion || inv.VATCategory != pm.VATCategory || inv.VATRate != pm.VATRate || inv.VATExemption != pm.VATExemption:
		fail(name+" VAT treatment", "presents price-model version %d, category %s, rate %d, exemption %q; price-model version %d has %s, %d, %q",
			inv.PriceModelVersion, inv.VATCategory, inv.VATRate, inv.VATExemption, pm.Version, pm.VATCategory, pm.VATRate, pm.VATExemption)
	}
	vat := schema.VATOf(net, pm.VATRate)
	if inv.VAT != vat {
		fail(name+" VAT", "presents %d cents, recomputes to %d (%s of %d net)", inv.VAT, vat, percent(pm.VATRate), net)
	}
	if inv.Total != net+vat {
		fail(name+" total", "presents %d cents, recomputes to %d (%d net + %d VAT)", inv.Total, net+vat, net, vat)
	}
	if inv.Currency != "EUR" {
		fail(name+" currency", "presents %q; the registry invoices in EUR", inv.Currency)
	}
	if !failed {
		what := fmt.Sprintf("%s: %d line(s) recompute", inv.Kind, len(inv.Lines))
		if want.corrects != "" {
			what = fmt.Sprintf("%s of %s: the fees of %d come to %d cents, the earlier invoices billed %d", inv.Kind, want.corrects, inv.Year, computed, want.billed)
		}
		c.r.Pass(CheckInvoiceLines, name, fmt.Sprintf("%s; net %d, VAT %d (%s, %s), total %d cents",
			what, net, vat, pm.VATCategory, percent(pm.VATRate), net+vat))
	}
}

// lineName names an invoice's i-th line (from 0) for a report: "invoice
// govdigital:RE-1 line 2 (annualFee 2027-01-01–2027-12-31)".
func lineName(id string, i int, l *schema.InvoiceLine) string {
	return fmt.Sprintf("invoice %s line %d (%s %s–%s)", id, i+1, l.Kind, l.From, l.To)
}

// lineDiff says how a presented line differs from the recomputed one.
func lineDiff(got, want *schema.InvoiceLine) string {
	var diffs []string
	if got.Cents != want.Cents {
		diffs = append(diffs, fmt.Sprintf("presents %d cents, recomputes to %d cents", got.Cents, want.Cents))
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"kind", got.Kind, want.Kind}, {"fee version", got.FeeVersion, want.FeeVersion},
		{"from", got.From, want.From}, {"to", got.To, want.To}, {"days", got.Days, want.Days},
		{"basis", got.Basis, want.Basis}, {"fee", got.Fee, want.Fee},
	} {
		if f.got != f.want {
			diffs = append(diffs, fmt.Sprintf("%s: presents %v, recomputes to %v", f.name, f.got, f.want))
		}
	}
	return strings.Join(diffs, "; ")
}

// percent writes a rate in basis points: 1900 as 19.00 %.
func percent(bp schema.Uint) string { return fmt.Sprintf("%d.%02d %%", bp/100, bp%100) }

// ruleOf states a refusal of package schema as its rule: the text of a
// *schema.Error is JSON made to cross the Fabric boundary.
func ruleOf(err error) string {
	if e, ok := errors.AsType[*schema.Error](err); ok {
		return e.Rule
	}
	return err.Error()
}

// figureName names a figure version for a report.
func figureName(f *schema.Figure) string {
	return fmt.Sprintf("figure %s version %d", schema.FigureID(f.Kind, f.Subject, f.Year), f.Version)
}

// allocationName names a published allocation for a report.
func allocationName(id allocationID) string {
	return fmt.Sprintf("allocation %s/%d version %d", id.offering, id.year, id.version)
}

// actName names a signed act for a report, as the act checks do.
func actName(act *schema.SignedAct) string {
	return fmt.Sprintf("%s by %s in tx %s", act.Type, act.Party, act.TxID)
}

// boolOrder orders false before true.
func boolOrder(x, y bool) int {
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	}
	return 1
}
