package chaincode_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/einvoice"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/internal/xsdtest"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// The money side on each ledger: reference figures and usage reports, the
// allocation of a programmed price model's pool, the September fee
// adjustment, and invoices computed by the chaincode — an invoice of the
// order's year, a credit note after a fee change, a termination pro rata.
func TestSettlement(t *testing.T) { onEachLedger(t, testSettlement) }

func testSettlement(t *testing.T, e *env) {
	ctx := t.Context()
	s := e.marketplace()
	now := time.Now().UTC()
	year := schema.Uint(now.Year())

	programmed := e.b.ProgrammedPriceModel(2, s.PriceModel.Hash, schema.KeyCombination, true, schema.VATNotSubject)
	programmed.ValidFrom = fmt.Sprintf("%d-01-01", year)
	pm := decode[schema.PriceModel](t, e.mustAct(programmed, s.Supplier.Key))
	require.True(t, pm.Programmed())

	deals := make([]*scenario.Deal, 3)
	for i := range deals {
		deals[i] = s.Deal(fmt.Sprintf("settle-%d", i), "")
		require.NoError(t, deals[i].Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
		require.Equal(t, now.Format(time.DateOnly), deals[i].Agreement.OrderDate)
		require.Equal(t, []schema.FeePeriod{{FeeVersion: 1, From: deals[i].Agreement.OrderDate}}, deals[i].Agreement.Periods)
	}

	// Figures: the customer's inhabitants (vouched for by a member), each
	// agreement's cases (reported by the supplier, seen by the customer).
	figures, err := e.b.RecordFigures(ctx, scenario.RegioIT, schema.FigureBatch{Kind: schema.FigureInhabitants, Year: year,
		ReferenceDate: fmt.Sprintf("%d-06-30", year-1), Source: "IT.NRW, Bevölkerungsstand", Figures: []schema.FigureEntry{{Subject: s.Customer.ID, Value: 1_084_831}}})
	require.NoError(t, err)
	require.Equal(t, schema.Uint(1), figures[0].Version)
	require.Equal(t, scenario.RegioIT, figures[0].VouchedBy)
	for i, d := range deals {
		f, err := d.ReportUsage(ctx, year, schema.Uint(1000*(i+1)), 0)
		require.NoError(t, err)
		require.Equal(t, s.Supplier.ID, f.Reported.Party)
	}
	seen, err := e.client.Figure(ctx, schema.FigureCases, deals[2].ID, year, 0)
	require.NoError(t, err)
	require.Equal(t, schema.Uint(3000), seen.Value)
	corrected, err := deals[2].ReportUsage(ctx, year, 2500, 1)
	require.NoError(t, err)
	require.Equal(t, schema.Uint(2), corrected.Version)

	// The allocation, computed and published.
	computed, err := e.client.ComputeAllocation(ctx, s.Offering.Offering, year, 2)
	require.NoError(t, err)
	require.Len(t, computed.Shares, 3)
	var sum schema.Uint
	for _, sh := range computed.Shares {
		sum += sh.Cents
	}
	require.Equal(t, pm.Chargeable(), sum)
	require.Equal(t, pm.Pool()-pm.Pool()/2, computed.Chargeable, "EfA-financed: half the pool is paid centrally")
	require.Equal(t, schema.Uint(2500), computed.Inputs[2].Cases.Value, "the corrected report counts")
	published, err := e.b.PublishAllocation(ctx, s.Supplier, computed, 1)
	require.NoError(t, err)
	require.Equal(t, computed.Hash, published.Hash)
	got, err := e.client.Allocation(ctx, s.Offering.Offering, year, 0)
	require.NoError(t, err)
	require.Equal(t, computed.Shares, got.Shares)
	require.Equal(t, computed.Inputs, got.Inputs)
	require.Equal(t, schema.Uint(1), got.Version)
	_, err = e.b.PublishAllocation(ctx, s.Supplier, computed, 1)
	requireRefused(t, err, schema.CodeConflict, "message.version")
	stale := *computed
	stale.Hash = s.Offering.Hash
	_, err = e.b.PublishAllocation(ctx, s.Supplier, &stale, 2)
	requireRefused(t, err, schema.CodeConflict, "message.allocationHash")

	// The fee adjustment: a fee that is not the share is refused by name.
	wrong := &schema.AdjustFeesMessage{Offering: s.Offering.Offering, Year: year, AllocationVersion: 1,
		Agreements: []string{got.Shares[0].Agreement, got.Shares[1].Agreement}, AnnualFees: []schema.Uint{got.Shares[0].Cents, got.Shares[1].Cents + 1}, Replay: e.b.Replay()}
	_, err = e.act(wrong, s.Supplier.Key)
	requireRefused(t, err, schema.CodeInvalid, "message.annualFees[1]")
	adjusted, err := e.b.AdjustFees(ctx, s.Supplier, got, 2)
	require.NoError(t, err)
	require.Len(t, adjusted, 3)
	nextYear := fmt.Sprintf("%d-01-01", year+1)
	for i, fv := range adjusted {
		require.Equal(t, got.Shares[i].Cents, fv.Fees.AnnualFee)
		require.Equal(t, nextYear, fv.ValidFrom)
		require.Equal(t, schema.Uint(2), fv.PriceModelVersion)
	}
	for _, d := range deals[:2] {
		d.Agreement = *mustAgreement(t, e.client, d.ID)
		require.Equal(t, schema.AgreementFeeChangePending, d.Agreement.Status)
		require.NoError(t, d.Approve(ctx, d.Customer))
		require.NoError(t, d.Approve(ctx, d.Anbieter))
		require.Equal(t, schema.AgreementConcluded, d.Agreement.Status)
		require.Equal(t, schema.FeePeriod{FeeVersion: 2, From: nextYear}, d.Agreement.Periods[len(d.Agreement.Periods)-1], "in force from 1 January")
	}

	// The invoice of the order's year: computed, never typed in.
	inv, err := deals[0].Invoice(ctx, year, "RE-1"+e.b.Suffix())
	require.NoError(t, err)
	require.Equal(t, schema.InvoiceCommercial, inv.Kind)
	basis := inv.Basis
	lines, err := schema.InvoiceLines(&basis)
	require.NoError(t, err)
	require.Equal(t, lines, inv.Lines)
	require.Equal(t, scenario.DefaultFees.ConnectionFee, inv.Lines[0].Cents)
	require.Equal(t, schema.LineConnectionFee, inv.Lines[0].Kind)
	require.Equal(t, inv.Net, inv.Computed)
	require.Equal(t, schema.VATNotSubject, inv.VATCategory)
	require.Equal(t, inv.Net, inv.Total, "no VAT for a sovereign task")
	require.Equal(t, schema.InvoiceHash(inv), inv.Hash)
	_, err = deals[1].Invoice(ctx, year, "RE-1"+e.b.Suffix())
	requireRefused(t, err, schema.CodeConflict, "message.number")
	_, err = deals[0].Invoice(ctx, year+1, "RE-2"+e.b.Suffix())
	requireRefused(t, err, schema.CodeInvalid, "message.year")
	_, err = deals[0].Invoice(ctx, year, "RE-3"+e.b.Suffix())
	requireRefused(t, err, schema.CodeConflict, "message.year")

	// A fee change that alters the invoiced year yields a credit note.
	d := deals[2]
	d.Agreement = *mustAgreement(t, e.client, d.ID)
	first, err := d.Invoice(ctx, year, "RE-4"+e.b.Suffix())
	require.NoError(t, err)
	cheaper := scenario.DefaultFees
	cheaper.ProRataFee /= 2
	d.Agreement.FeeVersion = 2 // the adjustment entered version 2, still pending
	_, err = e.act(&schema.ApproveFeesMessage{Agreement: d.ID, Party: d.Customer.ID, FeeVersion: 2, TermsHash: d.Agreement.TermsHash, Replay: e.b.Replay()}, d.Customer.Key)
	require.NoError(t, err)
	_, err = e.act(&schema.ApproveFeesMessage{Agreement: d.ID, Party: d.Anbieter.ID, FeeVersion: 2, TermsHash: d.Agreement.TermsHash, Replay: e.b.Replay()}, d.Anbieter.Key)
	require.NoError(t, err)
	d.Agreement = *mustAgreement(t, e.client, d.ID)
	require.NoError(t, d.EnterFees(ctx, cheaper))
	require.NoError(t, d.Approve(ctx, d.Customer))
	require.NoError(t, d.Approve(ctx, d.Anbieter))
	credit, err := d.Invoice(ctx, year, "RE-5"+e.b.Suffix())
	require.NoError(t, err)
	require.Equal(t, schema.InvoiceCreditNote, credit.Kind)
	require.Equal(t, schema.Uint(381), credit.TypeCode)
	require.Equal(t, first.ID, credit.Corrects)
	require.Equal(t, first.Net, credit.Billed)
	require.Equal(t, first.Net-credit.Computed, credit.Net, "the credit is the difference")
	_, err = d.Invoice(ctx, year, "RE-6"+e.b.Suffix())
	requireRefused(t, err, schema.CodeConflict, "message.year")

	// Termination: billed to the end date.
	require.NoError(t, deals[1].Terminate(ctx, deals[1].Customer, now.Format(time.DateOnly), "Wechsel"))
	ended, err := deals[1].Invoice(ctx, year, "RE-7"+e.b.Suffix())
	require.NoError(t, err)
	require.Equal(t, now.Format(time.DateOnly), ended.Lines[len(ended.Lines)-1].To)

	// Listings.
	page, err := e.client.Invoices(ctx, client.Filter{By: "agreement", Value: d.ID}, client.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	page, err = e.client.Invoices(ctx, client.Filter{By: "anbieter", Value: s.Anbieter.ID}, client.PageRequest{Size: 1000})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(page.Items), 4)
	_, err = e.client.Invoices(ctx, client.Filter{By: "year", Value: "1999"}, client.PageRequest{})
	requireRefused(t, err, schema.CodeInvalid, "year")

	// Every invoice of the test is an XRechnung: the rules and the schemas.
	require.NoError(t, e.b.SetPartyDetails(ctx, s.Anbieter, scenario.AnbieterDetails()))
	require.NoError(t, e.b.SetPartyDetails(ctx, s.Customer, scenario.CustomerDetails(e.b.Koeln().LeitwegID, "50667", "Köln")))
	seller, err := e.client.Party(ctx, s.Anbieter.ID)
	require.NoError(t, err)
	buyer, err := e.client.Party(ctx, s.Customer.ID)
	require.NoError(t, err)
	docs := map[string][]byte{}
	for _, raw := range page.Items {
		inv := decode[schema.Invoice](t, raw)
		var corrected *schema.Invoice
		if inv.Corrects != "" {
			corrected, err = e.client.Invoice(ctx, inv.Corrects)
			require.NoError(t, err)
		}
		doc, err := einvoice.Render(&inv, seller, buyer, corrected)
		require.NoError(t, err, "invoice %s", inv.ID)
		docs[inv.ID] = doc
	}
	xsdtest.RequireValid(t, xsdtest.Write(t, docs))
}

// Refusals of the money side, on each ledger.
func TestSettlementRefusals(t *testing.T) { onEachLedger(t, testSettlementRefusals) }

func testSettlementRefusals(t *testing.T, e *env) {
	ctx := t.Context()
	s := e.marketplace()
	year := schema.Uint(time.Now().UTC().Year())
	d := s.Deal("refused", "")
	require.NoError(t, d.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
	usage := func(year, replaces schema.Uint) *schema.ReportUsageMessage {
		return &schema.ReportUsageMessage{Agreement: d.ID, Year: year, Cases: 5, Replaces: replaces, Replay: e.b.Replay()}
	}
	koenigsteiner := schema.FigureBatch{Kind: schema.FigureKoenigsteiner, Year: year, ReferenceDate: fmt.Sprintf("%d-01-01", year), Source: "GWK"}
	for i := 1; i <= 16; i++ {
		koenigsteiner.Figures = append(koenigsteiner.Figures, schema.FigureEntry{Subject: fmt.Sprintf("%02d", i), Value: 625_000})
	}
	badSum := koenigsteiner
	badSum.Figures = append([]schema.FigureEntry{}, koenigsteiner.Figures...)
	badSum.Figures[3].Value++
	for _, c := range []struct {
		name  string
		call  func() error
		code  schema.Code
		field string
	}{
		{"usage reported by the customer", func() error { _, err := e.act(usage(year, 0), s.Customer.Key); return err }, schema.CodeForbidden, "signature"},
		{"usage of a future year", func() error { _, err := e.act(usage(year+1, 0), s.Supplier.Key); return err }, schema.CodeInvalid, "message.year"},
		{"a correction of nothing", func() error { _, err := e.act(usage(year, 1), s.Supplier.Key); return err }, schema.CodeNotFound, "message.replaces"},
		{"figures by a client identity", func() error {
			_, err := e.client.RecordFigures(ctx, koenigsteiner)
			return err
		}, schema.CodeForbidden, "creator"},
		{"a Königsteiner table not summing to 100 %", func() error { _, err := e.admin(scenario.Dataport).RecordFigures(ctx, badSum); return err }, schema.CodeInvalid, "figures"},
		{"inhabitants of an unknown party", func() error {
			_, err := e.admin(scenario.Dataport).RecordFigures(ctx, schema.FigureBatch{Kind: schema.FigureInhabitants, Year: year, ReferenceDate: "2025-12-31", Source: "x",
				Figures: []schema.FigureEntry{{Subject: e.b.ID("nobody"), Value: 5}}})
			return err
		}, schema.CodeNotFound, "figures[0].subject"},
		{"an allocation of a price model without a pool", func() error {
			_, err := e.client.ComputeAllocation(ctx, s.Offering.Offering, year, 1)
			return err
		}, schema.CodeConflict, "priceModel"},
		{"an invoice by the supplier", func() error {
			_, err := e.act(&schema.IssueInvoiceMessage{Agreement: d.ID, Anbieter: s.Supplier.ID, Year: year, Number: "X-1", Replay: e.b.Replay()}, s.Supplier.Key)
			return err
		}, schema.CodeForbidden, "message.anbieter"},
	} {
		t.Run(c.name, func(t *testing.T) { requireRefused(t, c.call(), c.code, c.field) })
	}
	// The Königsteiner table once, then a second first version is refused.
	_, err := e.admin(scenario.Dataport).RecordFigures(ctx, koenigsteiner)
	if err == nil {
		_, err = e.admin(scenario.Dataport).RecordFigures(ctx, koenigsteiner)
		requireRefused(t, err, schema.CodeConflict, "figures[0].replaces")
	} else {
		requireRefused(t, err, schema.CodeConflict, "figures[0].replaces") // a shared network holds this year's table already
	}
}

func mustAgreement(t *testing.T, c *client.Client, id string) *schema.Agreement {
	t.Helper()
	a, err := c.Agreement(t.Context(), id)
	require.NoError(t, err)
	return a
}
