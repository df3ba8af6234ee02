package proof_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// The agreement of the five-year scenario, its two siblings in the
// allocation, and the records its bundle names.
const (
	fiveYears   = "koeln-bauantrag"
	offering    = "digitaler-bauantrag"
	anbieter    = "govdigital"
	allocation  = "allocation digitaler-bauantrag/2027 version 1"
	inhabitants = "figure inhabitants/stadt-koeln/2027 version 1"
	usage2027   = "figure cases/koeln-bauantrag/2027 version 2"
)

var siblings = []string{"koeln-bauantrag-kalk", "koeln-bauantrag-porz"}

// The typed client is a source of bundles.
var _ proof.Source = (*client.Client)(nil)

// clock is the time of a registry that plays through years: each reading
// is a second later than the one before, from the day last set.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// on moves the clock to 09:00 UTC of a day, never back.
func (c *clock) on(t testing.TB, day string) {
	t.Helper()
	d, err := time.Parse(time.DateOnly, day)
	require.NoError(t, err)
	c.mu.Lock()
	defer c.mu.Unlock()
	d = d.Add(9 * time.Hour)
	require.True(t, d.After(c.now), "the clock runs forward: %s after %s", d, c.now)
	c.now = d
}

// settled is an embedded registry in which five years of one agreement's
// money side are played through (settle), and its bundle.
type settled struct {
	client   *client.Client
	trust    *proof.Trust
	invoices map[string]*schema.Invoice // by number
	share    schema.Uint                // the agreement's share in the allocation
}

// alter changes what the chaincode writes under a key: a faulty chaincode
// (or a faulty endorsing peer) whose writes the ledger records faithfully.
type alter func(key string, value []byte) []byte

// settle plays five years of the Köln building permit agreement through an
// embedded registry whose clock starts on 4 January 2027:
//
//   - 2027: the order on 15 March (pro-rata and connection fees), the
//     invoice; inhabitants, the Königsteiner table and usage (corrected)
//     recorded; a programmed price model (19 % VAT) published in
//     September, its allocation over the agreement and two siblings, the
//     fee adjustment from 2028 on, approved;
//   - 2028: the invoice at the share; a fee change from 1 July, the credit
//     note; usage;
//   - 2029: the invoice; usage;
//   - 2030: the invoice; a fee change from 1 May, the corrected invoice;
//     termination at 30 June 2031;
//   - 2031: the invoice of the last half year.
//
// A non-nil fault alters what the chaincode writes.
func settle(t testing.TB, fault alter) *settled {
	t.Helper()
	ctx := context.Background()
	clk := &clock{}
	clk.on(t, "2027-01-04")
	dir := t.TempDir()
	o := ledger.Options{MSPID: scenario.Dataport, NoSync: true, Clock: clk.Now}
	if fault != nil {
		cc, err := chaincode.New()
		require.NoError(t, err)
		o.Chaincodes = map[string]shim.Chaincode{chaincode.Name: &faulty{Chaincode: cc, alter: fault}}
	}
	l, err := embedded.Open(filepath.Join(dir, "ledger"), o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	clients, err := l.Scenario(scenario.Dataport, scenario.Members...)
	require.NoError(t, err)
	b := scenario.New(clients, scenario.WithClock(clk.Now))
	s := &settled{client: clients.Relay, invoices: map[string]*schema.Invoice{}}
	s.trust, err = proof.LoadRoots(filepath.Join(dir, "ledger", "msp"))
	require.NoError(t, err)

	m, err := b.Marketplace(ctx, scenario.SpreadVouching)
	require.NoError(t, err)
	refresh := func(d *scenario.Deal) {
		a, err := s.client.Agreement(ctx, d.ID)
		require.NoError(t, err)
		d.Agreement = *a
	}
	approve := func(d *scenario.Deal) {
		refresh(d)
		require.NoError(t, d.Approve(ctx, d.Customer))
		require.NoError(t, d.Approve(ctx, d.Anbieter))
	}
	invoice := func(d *scenario.Deal, year schema.Uint, number, kind string) {
		inv, err := d.Invoice(ctx, year, number)
		require.NoError(t, err, number)
		require.Equal(t, kind, inv.Kind, number)
		s.invoices[number] = inv
	}
	report := func(d *scenario.Deal, year, cases, replaces schema.Uint) {
		_, err := d.ReportUsage(ctx, year, cases, replaces)
		require.NoError(t, err)
	}

	// 2027: the order, its invoice, the figures, the allocation and the
	// fee adjustment.
	clk.on(t, "2027-03-15")
	d := m.Deal(fiveYears, "")
	require.NoError(t, d.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
	clk.on(t, "2027-04-12")
	deals := []*scenario.Deal{d}
	for _, id := range siblings {
		sib := m.Deal(id, "")
		require.NoError(t, sib.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
		deals = append(deals, sib)
	}
	clk.on(t, "2027-04-20")
	invoice(d, 2027, "RE-2027-1", schema.InvoiceCommercial)

	clk.on(t, "2027-06-30")
	_, err = b.RecordFigures(ctx, scenario.RegioIT, schema.FigureBatch{Kind: schema.FigureInhabitants, Year: 2027, ReferenceDate: "2026-12-31",
		Source: "IT.NRW, Bevölkerungsstand", Figures: []schema.FigureEntry{{Subject: m.Customer.ID, Value: 1_084_831}}})
	require.NoError(t, err)
	koenigsteiner := schema.FigureBatch{Kind: schema.FigureKoenigsteiner, Year: 2027, ReferenceDate: "2027-01-01", Source: "GWK"}
	for i := 1; i <= 16; i++ {
		koenigsteiner.Figures = append(koenigsteiner.Figures, schema.FigureEntry{Subject: fmt.Sprintf("%02d", i), Value: 625_000})
	}
	_, err = b.RecordFigures(ctx, scenario.Dataport, koenigsteiner)
	require.NoError(t, err)
	clk.on(t, "2027-08-31")
	report(d, 2027, 1200, 0)
	report(d, 2027, 1250, 1) // corrected
	report(deals[1], 2027, 800, 0)
	report(deals[2], 2027, 400, 0)

	clk.on(t, "2027-09-01")
	msg := b.ProgrammedPriceModel(2, m.PriceModel.Hash, schema.KeyCombination, false, schema.VATStandard)
	msg.ValidFrom = "2027-01-01"
	msg.WeightInhabitants, msg.WeightCases, msg.WeightKoenigsteiner = 4000, 4000, 2000
	pm2, err := b.PriceModel(ctx, m.Supplier, msg)
	require.NoError(t, err)
	computed, err := s.client.ComputeAllocation(ctx, offering, 2027, 2)
	require.NoError(t, err)
	_, err = b.PublishAllocation(ctx, m.Supplier, computed, 1)
	require.NoError(t, err)
	published, err := s.client.Allocation(ctx, offering, 2027, 1)
	require.NoError(t, err)
	_, err = b.AdjustFees(ctx, m.Supplier, published, 2) // two acts: a chunk of two, then one
	require.NoError(t, err)
	for _, sh := range published.Shares {
		if sh.Agreement == fiveYears {
			s.share = sh.Cents
		}
	}
	clk.on(t, "2027-09-20")
	for _, deal := range deals {
		approve(deal)
	}
	require.Equal(t, schema.FeePeriod{FeeVersion: 2, From: "2028-01-01"}, d.Agreement.Periods[1])

	// 2028: the invoice at the share, a fee change from 1 July, the credit note.
	clk.on(t, "2028-02-01")
	invoice(d, 2028, "RE-2028-1", schema.InvoiceCommercial)
	clk.on(t, "2028-07-01")
	d.PriceModelHash = pm2.Hash
	require.NoError(t, d.EnterFees(ctx, schema.Fees{AnnualFee: 1_500_000, ScopeOfUse: scenario.DefaultFees.ScopeOfUse}))
	approve(d)
	clk.on(t, "2028-07-15")
	invoice(d, 2028, "RE-2028-2", schema.InvoiceCreditNote)
	clk.on(t, "2028-12-15")
	report(d, 2028, 1300, 0)

	// 2029 and 2030: the invoices, a fee change from 1 May 2030, the
	// corrected invoice, the termination.
	clk.on(t, "2029-01-15")
	invoice(d, 2029, "RE-2029-1", schema.InvoiceCommercial)
	clk.on(t, "2029-12-10")
	report(d, 2029, 1350, 0)
	clk.on(t, "2030-01-15")
	invoice(d, 2030, "RE-2030-1", schema.InvoiceCommercial)
	clk.on(t, "2030-05-01")
	require.NoError(t, d.EnterFees(ctx, schema.Fees{AnnualFee: 1_800_000, ScopeOfUse: scenario.DefaultFees.ScopeOfUse}))
	approve(d)
	clk.on(t, "2030-05-20")
	invoice(d, 2030, "RE-2030-2", schema.InvoiceCorrected)
	clk.on(t, "2030-11-15")
	require.NoError(t, d.Terminate(ctx, d.Customer, "2031-06-30", "Wechsel des Verfahrens"))

	// 2031: the last half year.
	clk.on(t, "2031-01-20")
	invoice(d, 2031, "RE-2031-1", schema.InvoiceCommercial)
	require.Equal(t, "2031-06-30", s.invoices["RE-2031-1"].Lines[0].To)
	return s
}

// faulty is the registry chaincode whose writes are altered.
type faulty struct {
	shim.Chaincode
	alter alter
}

func (f *faulty) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	return f.Chaincode.Invoke(&alteringStub{ChaincodeStubInterface: stub, alter: f.alter})
}

type alteringStub struct {
	shim.ChaincodeStubInterface
	alter alter
}

func (s *alteringStub) PutState(key string, value []byte) error {
	return s.ChaincodeStubInterface.PutState(key, s.alter(key, value))
}

// bundle builds the agreement's bundle and returns it as the file an
// auditor gets.
func (s *settled) bundle(t testing.TB) []byte {
	t.Helper()
	b, err := proof.Build(context.Background(), s.client, fiveYears, proof.BuildOptions{})
	require.NoError(t, err)
	raw, err := json.Marshal(b)
	require.NoError(t, err)
	return raw
}

func readBundle(t testing.TB, raw []byte) *proof.Bundle {
	t.Helper()
	b, err := proof.Read(bytes.NewReader(raw))
	require.NoError(t, err)
	return b
}

// An honest five-year bundle verifies: every invoice recomputes to the
// cent, the allocation recomputes, and every act of the money side is
// signed by its party.
func TestFiveYearBundleVerifies(t *testing.T) {
	s := settle(t, nil)
	raw := s.bundle(t)
	b := readBundle(t, raw)
	require.Equal(t, "efa-registry-proof/4", b.Format)
	require.Len(t, b.Records.Invoices, 7)
	require.Len(t, b.Records.Allocations, 1)
	require.Len(t, b.Records.Allocations[0].Entries, 3)
	require.Len(t, b.Records.Figures, 6, "usage 2027 (two versions), 2028 and 2029; inhabitants and the Königsteiner share of 2027")
	require.Len(t, b.Records.PriceModels, 2)

	report, terms := proof.Verify(b, s.trust)
	require.True(t, report.OK, "%+v", failed(report))

	var kinds []string
	for _, raw := range b.Records.Invoices {
		var inv schema.Invoice
		require.NoError(t, json.Unmarshal(raw, &inv))
		kinds = append(kinds, inv.Number+" "+inv.Kind)
	}
	require.Equal(t, []string{"RE-2027-1 invoice", "RE-2028-1 invoice", "RE-2028-2 creditNote", "RE-2029-1 invoice",
		"RE-2030-1 invoice", "RE-2030-2 corrected", "RE-2031-1 invoice"}, kinds, "oldest first")
	passed := map[proof.Check]int{}
	for _, it := range report.Items {
		passed[it.Check]++
	}
	require.Equal(t, 7, passed[proof.CheckInvoiceLines])
	require.Equal(t, 7, passed[proof.CheckInvoiceBasis])
	require.Equal(t, 7, passed[proof.CheckInvoiceHash])
	require.Equal(t, 1, passed[proof.CheckAllocationShares])
	require.Equal(t, 3, passed[proof.CheckAllocationInputs], "inhabitants, cases, Königsteiner")
	records := map[string]int{}
	for _, act := range terms.Acts {
		require.NotNil(t, act.Key, "%+v", act)
		records[act.Record+" "+act.Type]++
	}
	require.Equal(t, 7, records["invoice IssueInvoice"])
	require.Equal(t, 4, records["figure ReportUsage"])
	require.Equal(t, 1, records["allocation PublishAllocation"])
	require.Equal(t, 1, records["agreement AdjustFees"])
	require.Equal(t, schema.AgreementTerminated, terms.Status)
	t.Logf("five-year bundle: %d bytes as JSON, %d transactions, %d whole blocks of %d (its verification time: BenchmarkVerifyFiveYears)",
		len(raw), len(b.Transactions), wholeBlocks(b), len(b.Embedded))
}

func wholeBlocks(b *proof.Bundle) int {
	n := 0
	for _, blk := range b.Embedded {
		if len(blk.Data) > 0 {
			n++
		}
	}
	return n
}

// A changed cent anywhere in the money side fails the verification, under
// the check that recomputes it, naming the invoice line, the share or the
// input, with both amounts. The presented record then is not what the ledger
// wrote either ("record written"), except where a record is left out.
func TestTamperedSettlementFails(t *testing.T) {
	s := settle(t, nil)
	honest := s.bundle(t)
	for _, tc := range []struct {
		name    string
		tamper  func(t *testing.T, b *proof.Bundle)
		check   proof.Check
		subject string
		detail  string
		first   bool // the item is the first failure
	}{
		{"one cent in an invoice line", func(t *testing.T, b *proof.Bundle) {
			editInvoice(t, b, "RE-2027-1", func(inv *schema.Invoice) { inv.Lines[1].Cents++ })
		}, proof.CheckInvoiceLines, "invoice govdigital:RE-2027-1 line 2 (proRataFee 2027-03-15–2027-12-31)", "presents 100001 cents, recomputes to 100000 cents", false},
		{"the VAT", func(t *testing.T, b *proof.Bundle) {
			editInvoice(t, b, "RE-2028-1", func(inv *schema.Invoice) { inv.VAT++ })
		}, proof.CheckInvoiceLines, "invoice govdigital:RE-2028-1 VAT", fmt.Sprintf("presents %d cents, recomputes to %d (19.00 %% of %d net)",
			s.invoices["RE-2028-1"].VAT+1, s.invoices["RE-2028-1"].VAT, s.share), false},
		{"a total", func(t *testing.T, b *proof.Bundle) {
			editInvoice(t, b, "RE-2029-1", func(inv *schema.Invoice) { inv.Total-- })
		}, proof.CheckInvoiceLines, "invoice govdigital:RE-2029-1 total", fmt.Sprintf("presents %d cents, recomputes to %d",
			s.invoices["RE-2029-1"].Total-1, s.invoices["RE-2029-1"].Total), false},
		{"the credit note's line", func(t *testing.T, b *proof.Bundle) {
			editInvoice(t, b, "RE-2028-2", func(inv *schema.Invoice) { inv.Lines[0].Cents++; inv.Net++; inv.Total++ })
		}, proof.CheckInvoiceLines, "invoice govdigital:RE-2028-2 line 1 (correction 2028-01-01–2028-12-31)", "cents, recomputes to", false},
		{"an allocation share", func(t *testing.T, b *proof.Bundle) {
			editEntry(t, b, fiveYears, func(e *schema.AllocationEntry) { e.Share.Cents++ })
		}, proof.CheckAllocationShares, allocation + " share of " + fiveYears, fmt.Sprintf("presents %d cents", s.share+1), false},
		{"an input figure of the allocation", func(t *testing.T, b *proof.Bundle) {
			editEntry(t, b, fiveYears, func(e *schema.AllocationEntry) { e.Input.Inhabitants.Value++ })
		}, proof.CheckAllocationInputs, allocation + " input of " + fiveYears + " (inhabitants)", "weighs with 1084832; inhabitants/stadt-koeln/2027 version 1 as presented is 1084831", false},
		{"an input figure's record", func(t *testing.T, b *proof.Bundle) {
			editFigure(t, b, inhabitants, func(f *schema.Figure) { f.Value++ })
		}, proof.CheckAllocationInputs, allocation + " input of " + fiveYears + " (inhabitants)", "weighs with 1084831; inhabitants/stadt-koeln/2027 version 1 as presented is 1084832", false},
		{"a usage report's cases", func(t *testing.T, b *proof.Bundle) {
			editFigure(t, b, usage2027, func(f *schema.Figure) { f.Value++ })
		}, proof.CheckSignedMessage, "ReportUsage by land-mv", "signed 1250 cases of agreement koeln-bauantrag in 2027 (replacing version 1); the record has 1251 cases", false},
		{"an allocation entry left out", func(t *testing.T, b *proof.Bundle) {
			entries := b.Records.Allocations[0].Entries
			b.Records.Allocations[0].Entries = slices.DeleteFunc(entries, func(raw json.RawMessage) bool { return strings.Contains(string(raw), siblings[0]) })
			require.Len(t, b.Records.Allocations[0].Entries, 2)
		}, proof.CheckAllocationShares, allocation + " entry of " + siblings[0], "wrote it; the bundle does not present it", true},
		{"an invoice left out", func(t *testing.T, b *proof.Bundle) {
			b.Records.Invoices = slices.DeleteFunc(b.Records.Invoices, func(raw json.RawMessage) bool { return strings.Contains(string(raw), `"number":"RE-2028-1"`) })
			require.Len(t, b.Records.Invoices, 6)
		}, proof.CheckInvoiceLines, "invoice govdigital:RE-2028-2 billed", fmt.Sprintf("presents %d cents billed; the earlier invoices of 2028 the bundle presents come to 0",
			s.invoices["RE-2028-1"].Net), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := readBundle(t, honest)
			tc.tamper(t, b)
			report, _ := proof.Verify(b, s.trust)
			require.False(t, report.OK)
			it := failedItem(t, report, tc.check, tc.subject)
			require.Contains(t, it.Detail, tc.detail)
			if tc.first {
				require.Equal(t, it, *report.FirstFailure)
			} else {
				require.Equal(t, proof.CheckRecordWritten, report.FirstFailure.Check, "%+v", report.FirstFailure)
			}
		})
	}
}

// A ledger that faithfully records what a faulty chaincode wrote — an
// invoice line one cent off (its hash made to match), allocation shares
// moved by a cent between two agreements — passes every record, hash and
// signature check; recomputing the money side finds exactly the faults.
func TestFaultyChaincodeIsCaught(t *testing.T) {
	invoiceKey := schema.InvoiceRef(schema.InvoiceID(anbieter, "RE-2029-1")).Key()
	moved := map[string]int{
		schema.AllocationEntryKey(offering, 2027, 1, fiveYears):   +1,
		schema.AllocationEntryKey(offering, 2027, 1, siblings[1]): -1,
	}
	s := settle(t, func(key string, value []byte) []byte {
		switch {
		case key == invoiceKey:
			var inv schema.Invoice
			if json.Unmarshal(value, &inv) != nil {
				return value
			}
			inv.Lines[0].Cents++
			inv.Hash = schema.InvoiceHash(&inv)
			out, _ := json.Marshal(&inv)
			return out
		case moved[key] != 0:
			var e schema.AllocationEntry
			if json.Unmarshal(value, &e) != nil {
				return value
			}
			e.Share.Cents = schema.Uint(int(e.Share.Cents) + moved[key])
			out, _ := json.Marshal(&e)
			return out
		}
		return value
	})
	report, _ := proof.Verify(readBundle(t, s.bundle(t)), s.trust)
	require.False(t, report.OK)
	annual := s.invoices["RE-2029-1"].Lines[0].Cents // as the act's answer gave it, before the write was altered
	want := []proof.Item{
		{Check: proof.CheckAllocationShares, Subject: allocation + " share of " + fiveYears,
			Detail: fmt.Sprintf("presents %d cents", s.share)}, // s.share: as the ledger holds it, one cent over
		{Check: proof.CheckAllocationShares, Subject: allocation + " share of " + siblings[1], Detail: "recomputes to"},
		{Check: proof.CheckInvoiceLines, Subject: "invoice govdigital:RE-2029-1 line 1 (annualFee 2029-01-01–2029-12-31)",
			Detail: fmt.Sprintf("presents %d cents, recomputes to %d cents", annual+1, annual)},
	}
	got := failed(report)
	require.Len(t, got, len(want), "%+v", got)
	for i, w := range want {
		require.Equal(t, w.Check, got[i].Check, "%+v", got[i])
		require.Equal(t, w.Subject, got[i].Subject)
		require.Contains(t, got[i].Detail, w.Detail)
	}
	require.Contains(t, got[0].Detail, fmt.Sprintf("recomputes to %d cents", s.share-1))
	require.Equal(t, got[0], *report.FirstFailure)
}

func failedItem(t *testing.T, r *proof.Report, check proof.Check, subject string) proof.Item {
	t.Helper()
	for _, it := range r.Items {
		if !it.OK && it.Check == check && strings.HasPrefix(it.Subject, subject) {
			return it
		}
	}
	require.Failf(t, "no such failure", "want %q on %q among %+v", check, subject, failed(r))
	return proof.Item{}
}

// editInvoice changes a presented invoice, by number.
func editInvoice(t *testing.T, b *proof.Bundle, number string, edit func(*schema.Invoice)) {
	t.Helper()
	edited := false
	for i, raw := range b.Records.Invoices {
		var inv schema.Invoice
		require.NoError(t, json.Unmarshal(raw, &inv))
		if inv.Number == number {
			edit(&inv)
			b.Records.Invoices[i] = marshal(t, &inv)
			edited = true
		}
	}
	require.True(t, edited, number)
}

// editEntry changes an agreement's presented entry of the allocation.
func editEntry(t *testing.T, b *proof.Bundle, agreement string, edit func(*schema.AllocationEntry)) {
	t.Helper()
	for i, raw := range b.Records.Allocations[0].Entries {
		var e schema.AllocationEntry
		require.NoError(t, json.Unmarshal(raw, &e))
		if e.Share.Agreement == agreement {
			edit(&e)
			b.Records.Allocations[0].Entries[i] = marshal(t, &e)
			return
		}
	}
	require.Fail(t, "no entry of "+agreement)
}

// editFigure changes a presented figure version, named as reports name it.
func editFigure(t *testing.T, b *proof.Bundle, name string, edit func(*schema.Figure)) {
	t.Helper()
	for i, raw := range b.Records.Figures {
		var f schema.Figure
		require.NoError(t, json.Unmarshal(raw, &f))
		if fmt.Sprintf("figure %s version %d", schema.FigureID(f.Kind, f.Subject, f.Year), f.Version) == name {
			edit(&f)
			b.Records.Figures[i] = marshal(t, &f)
			return
		}
	}
	require.Fail(t, "no "+name)
}

func marshal(t *testing.T, v any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return raw
}

// BenchmarkVerifyFiveYears verifies the five-year bundle (seven invoices,
// an allocation, six figure versions) from its file bytes, decode
// included, and reports its size.
func BenchmarkVerifyFiveYears(b *testing.B) {
	s := settle(b, nil)
	raw := s.bundle(b)
	b.ResetTimer()
	for b.Loop() {
		bb, err := proof.Read(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		if report, _ := proof.Verify(bb, s.trust); !report.OK {
			b.Fatal(report.FirstFailure)
		}
	}
	b.ReportMetric(float64(len(raw)), "bundle-bytes")
}
