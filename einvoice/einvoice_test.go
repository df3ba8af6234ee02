package einvoice_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/einvoice"
	"github.com/efa-marktplatz/registry/internal/demo"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/internal/xsdtest"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/xrechnung"
	"github.com/stretchr/testify/require"
)

// stepClock is a settable clock that moves a second each reading.
type stepClock struct{ t time.Time }

func (c *stepClock) at(day string) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic(err)
	}
	c.t = t.Add(9 * time.Hour)
}

func (c *stepClock) now() time.Time { c.t = c.t.Add(time.Second); return c.t }

// Invoices the chaincode computes over randomized agreements — orders on any
// day, up to two fee changes, terminations, credit notes and back-charges,
// VAT at the standard rate, exempt, or not subject to VAT — all render as
// XRechnung that passes the project's EN 16931 / XRechnung rules and the
// UBL 2.1 schemas.
func TestRandomizedInvoicesAreXRechnung(t *testing.T) {
	ctx := context.Background()
	clock := &stepClock{}
	clock.at("2023-12-01")
	r, err := embedded.Open(t.TempDir(), ledger.Options{MSPID: scenario.Dataport, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	r.SetClock(clock.now)
	reg, err := r.Scenario(scenario.Dataport, scenario.Members...)
	require.NoError(t, err)
	b := scenario.New(reg, scenario.WithClock(clock.now))
	m, err := b.Marketplace(ctx, scenario.SpreadVouching)
	require.NoError(t, err)
	require.NoError(t, b.SetPartyDetails(ctx, m.Anbieter, scenario.AnbieterDetails()))
	koeln := b.Koeln()
	require.NoError(t, b.SetPartyDetails(ctx, m.Customer, scenario.CustomerDetails(koeln.LeitwegID, "50667", "Köln")))

	// Price models of each VAT treatment.
	models := []string{m.PriceModel.Hash}
	predecessor := m.PriceModel.Hash
	for i, vat := range []string{schema.VATStandard, schema.VATExempt} {
		pm := b.SamplePriceModel(uint64(i+2), predecessor)
		pm.VATCategory, pm.VATRate, pm.VATExemption = vat, 0, ""
		if vat == schema.VATStandard {
			pm.VATRate = 1900
		} else {
			pm.VATExemption = "Steuerfrei nach § 4 Nr. 25 UStG (SAMPLE)"
		}
		out, err := b.PriceModel(ctx, m.Supplier, pm)
		require.NoError(t, err)
		models = append(models, out.Hash)
		predecessor = out.Hash
	}

	rng := rand.New(rand.NewPCG(14, 2026))
	day := func(year, from int) string { // a day of the year from day-of-year from on
		return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, from+rng.IntN(max(1, 364-from))).Format(time.DateOnly)
	}
	fees := func() schema.Fees {
		return schema.Fees{AnnualFee: schema.Uint(rng.Uint64N(100_000_000)), ProRataFee: schema.Uint(rng.Uint64N(50_000_000)),
			ConnectionFee: schema.Uint(rng.Uint64N(3) * rng.Uint64N(1_000_000)), ScopeOfUse: "Fachamt & Bürgerbüro <SAMPLE>"}
	}
	number := 0
	invoice := func(d *scenario.Deal, year schema.Uint) {
		number++
		_, err := d.Invoice(ctx, year, fmt.Sprintf("R-%d-%05d", year, number))
		var re *schema.Error
		if err != nil && errorsAs(err, &re) && re.Code == schema.CodeConflict && re.Field == "message.year" {
			return // nothing (more) to bill: ended before, or the invoices bill it exactly
		}
		require.NoError(t, err)
	}
	for i := range 90 {
		d := m.Deal(fmt.Sprintf("r%d", i), "")
		d.PriceModelHash = models[rng.IntN(len(models))]
		order := day(2024, 0)
		clock.at(order)
		require.NoError(t, d.Until(ctx, schema.AgreementConcluded, fees(), ""))
		// Up to two fee changes in the order's year or the next.
		last := order
		for range rng.IntN(3) {
			change := max(last, day(2024+rng.IntN(2), 0))
			clock.at(change)
			require.NoError(t, d.EnterFees(ctx, fees()))
			require.NoError(t, d.Approve(ctx, d.Customer))
			require.NoError(t, d.Approve(ctx, d.Anbieter))
			last = change
		}
		if rng.IntN(4) == 0 {
			clock.at(last)
			require.NoError(t, d.Terminate(ctx, d.Customer, max(last, day(2025, 0)), "Wechsel"))
		}
		clock.at("2025-12-20")
		invoice(d, 2024)
		invoice(d, 2025)
		if rng.IntN(3) == 0 && d.Agreement.Status == schema.AgreementConcluded {
			// A fee change after invoicing: a credit note or a back-charge.
			clock.at("2025-12-22")
			require.NoError(t, d.EnterFees(ctx, fees()))
			require.NoError(t, d.Approve(ctx, d.Customer))
			require.NoError(t, d.Approve(ctx, d.Anbieter))
			clock.at("2025-12-23")
			invoice(d, 2025)
		}
	}

	c := reg.Relay
	all := invoices(t, c)
	require.GreaterOrEqual(t, len(all), 200, "at least 200 randomized invoices")
	kinds := map[string]int{}
	categories := map[string]int{}
	docs := map[string][]byte{}
	anbieter, err := c.Party(ctx, m.Anbieter.ID)
	require.NoError(t, err)
	customer, err := c.Party(ctx, m.Customer.ID)
	require.NoError(t, err)
	for _, inv := range all {
		kinds[inv.Kind]++
		categories[inv.VATCategory]++
		var corrected *schema.Invoice
		if inv.Corrects != "" {
			corrected, err = c.Invoice(ctx, inv.Corrects)
			require.NoError(t, err)
		}
		doc, err := einvoice.Render(inv, anbieter, customer, corrected)
		require.NoError(t, err, "invoice %s", inv.ID)
		require.Empty(t, xrechnung.Check(doc, xrechnung.XRechnung), "invoice %s: no warnings either", inv.ID)
		docs[inv.ID] = doc
	}
	require.Positive(t, kinds[schema.InvoiceCreditNote], "credit notes among them: %v", kinds)
	require.Positive(t, kinds[schema.InvoiceCorrected], "back-charges among them: %v", kinds)
	require.Len(t, categories, 3, "every VAT treatment: %v", categories)
	xsdtest.RequireValid(t, xsdtest.Write(t, docs))
	t.Logf("%d invoices: %v, VAT %v", len(all), kinds, categories)
}

// invoices lists every invoice of the registry.
func invoices(t *testing.T, c *client.Client) []*schema.Invoice {
	t.Helper()
	var out []*schema.Invoice
	p := client.PageRequest{Size: 1000}
	for {
		page, err := c.Invoices(context.Background(), client.Filter{}, p)
		require.NoError(t, err)
		for _, raw := range page.Items {
			inv := new(schema.Invoice)
			require.NoError(t, jsonUnmarshal(raw, inv))
			out = append(out, inv)
		}
		if page.Bookmark == "" {
			return out
		}
		p.Bookmark = page.Bookmark
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// Every invoice of the demo renders as XRechnung that passes the rules and
// the UBL 2.1 schemas.
func TestDemoInvoicesAreXRechnung(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, err := demo.Open(ctx, dir, ledger.Options{MSPID: scenario.Dataport, NoSync: true}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	c, err := r.Client(scenario.Dataport, "client")
	require.NoError(t, err)
	all := invoices(t, c)
	require.GreaterOrEqual(t, len(all), 9, "last year's and this year's invoices of the demo")
	docs := map[string][]byte{}
	for _, inv := range all {
		seller, err := c.Party(ctx, inv.Anbieter)
		require.NoError(t, err)
		buyer, err := c.Party(ctx, inv.Customer)
		require.NoError(t, err)
		var corrected *schema.Invoice
		if inv.Corrects != "" {
			corrected, err = c.Invoice(ctx, inv.Corrects)
			require.NoError(t, err)
		}
		doc, err := einvoice.Render(inv, seller, buyer, corrected)
		require.NoError(t, err, "invoice %s", inv.ID)
		docs[inv.ID] = doc
	}
	xsdtest.RequireValid(t, xsdtest.Write(t, docs))
}
