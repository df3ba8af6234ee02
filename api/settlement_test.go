package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/internal/xsdtest"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/xrechnung"
	"github.com/stretchr/testify/require"
)

// The money side over HTTP, as portals, a Kämmerei and an Anbieter's
// accounting reach it: figures, usage, the allocation (computed, then
// published), the fee adjustment, the invoice, and the invoice as XRechnung.
func TestHTTPSettlement(t *testing.T) { onEachBackend(t, testHTTPSettlement) }

func testHTTPSettlement(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.scenario()
	year := schema.Uint(time.Now().UTC().Year())
	programmed := h.b.ProgrammedPriceModel(2, s.PriceModel.Hash, schema.KeyCases, false, schema.VATStandard)
	programmed.ValidFrom = fmt.Sprintf("%d-01-01", year)
	r := h.act("/v1/offerings/"+s.Offering.Offering+"/price-models", programmed, s.Supplier.Key)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	deals := []*scenario.Deal{s.Deal("pay-1", ""), s.Deal("pay-2", "")}
	for i, d := range deals {
		require.NoError(t, d.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
		r = h.act(agreementPath(d.ID, "usage"), &schema.ReportUsageMessage{Agreement: d.ID, Year: year, Cases: schema.Uint(100 * (i + 1)), Replay: h.replay()}, s.Supplier.Key)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	}
	var usage schema.Figure
	h.get(fmt.Sprintf("%s/%d", agreementPath(deals[1].ID, "usage"), year)).json(t, &usage)
	require.Equal(t, schema.Uint(200), usage.Value)

	// Reference figures on the member's authority.
	batch := schema.FigureBatch{Kind: schema.FigureInhabitants, Year: year, ReferenceDate: fmt.Sprintf("%d-12-31", year-1), Source: "IT.NRW",
		Figures: []schema.FigureEntry{{Subject: s.Customer.ID, Value: 1_084_831}}}
	r = h.do(http.MethodPost, "/v1/figures", batch, nil, false)
	require.Equal(t, http.StatusUnauthorized, r.status, "the member token is needed")
	r = h.do(http.MethodPost, "/v1/figures", batch, member(), false)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var recorded api.RecordedFigures
	r.json(t, &recorded)
	require.Len(t, recorded.Figures, 1)
	require.Len(t, recorded.TxID, 64)
	r = h.get(fmt.Sprintf("/v1/figures/inhabitants/%s/%d", s.Customer.ID, year))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = h.get(fmt.Sprintf("/v1/figures/inhabitants/%s/%d/versions", s.Customer.ID, year))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	// The allocation: computed while none is published (version 0), then
	// published as signed.
	allocationPath := fmt.Sprintf("/v1/offerings/%s/allocations/%d", s.Offering.Offering, year)
	var computed api.AllocationAnswer
	h.get(allocationPath).json(t, &computed)
	require.Zero(t, computed.Version)
	require.Len(t, computed.Shares, 2)
	require.NotEmpty(t, computed.Rule)
	r = h.act("/v1/offerings/"+s.Offering.Offering+"/allocations", &schema.PublishAllocationMessage{Offering: s.Offering.Offering, Year: year, Version: 1,
		PriceModelHash: computed.PriceModelHash, AllocationHash: computed.Hash, Replay: h.replay()}, s.Supplier.Key)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var published api.AllocationAnswer
	h.get(allocationPath).json(t, &published)
	require.Equal(t, schema.Uint(1), published.Version)
	require.Equal(t, computed.Shares, published.Shares)
	require.Equal(t, http.StatusBadRequest, h.get(allocationPath+"?version=x").status)

	adjust := &schema.AdjustFeesMessage{Offering: s.Offering.Offering, Year: year, AllocationVersion: 1,
		Agreements: []string{published.Shares[0].Agreement}, AnnualFees: []schema.Uint{published.Shares[0].Cents + 1}, Replay: h.replay()}
	r = h.act("/v1/offerings/"+s.Offering.Offering+"/fee-adjustments", adjust, s.Supplier.Key)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	require.Equal(t, "message.annualFees[0]", r.problem(t).Field)
	adjust.AnnualFees[0]--
	adjust.Replay = h.replay()
	r = h.act("/v1/offerings/"+s.Offering.Offering+"/fee-adjustments", adjust, s.Supplier.Key)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)

	// The invoice, computed by the registry, and as XRechnung.
	number := "RE" + h.id("-1")
	r = h.act(agreementPath(deals[0].ID, "invoices"), &schema.IssueInvoiceMessage{Agreement: deals[0].ID, Anbieter: s.Anbieter.ID, Year: year, Number: number, Replay: h.replay()}, s.Anbieter.Key)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var inv schema.Invoice
	r.json(t, &inv)
	require.Equal(t, schema.VATNotSubject, inv.VATCategory, "the VAT treatment of the price model the fees in force rest on (the adjustment is not approved)")
	require.Equal(t, inv.Net, inv.Total)
	var listed struct{ Items []schema.Invoice }
	h.get("/v1/invoices?agreement="+deals[0].ID).json(t, &listed)
	require.Len(t, listed.Items, 1)
	require.Equal(t, http.StatusBadRequest, h.get("/v1/invoices?year=12").status)
	h.get("/v1/invoices/"+url.PathEscape(inv.ID)).json(t, &inv)

	xmlPath := "/v1/invoices/" + url.PathEscape(inv.ID) + "/xrechnung.xml"
	r = h.get(xmlPath)
	require.Equal(t, http.StatusConflict, r.status, "the parties have no details yet: %s", r.body)
	require.Contains(t, r.problem(t).Rule, "details.")
	for _, p := range []struct {
		party   *scenario.Party
		details schema.PartyDetails
	}{{s.Anbieter, scenario.AnbieterDetails()}, {s.Customer, scenario.CustomerDetails(h.b.Koeln().LeitwegID, "50667", "Köln")}} {
		r = h.do(http.MethodPut, "/v1/parties/"+p.party.ID+"/details", p.details, member(), false)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	r = h.get(xmlPath)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "application/xml; charset=utf-8", r.header.Get("Content-Type"))
	require.Empty(t, xrechnung.Check(r.body, xrechnung.XRechnung))
	xsdtest.RequireValid(t, xsdtest.Write(t, map[string][]byte{"invoice": r.body}))
}
