package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/efa-marktplatz/registry/internal/browsertest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// world is the test data of the page tests, made through the REST API: a
// marketplace (Land MV supplies, govdigital offers, Köln buys), an agreement
// concluded and invoiced, one whose fees await approval, and a programmed
// price model from this year whose cost pool the registry allocates by the
// cases the supplier reported.
type world struct {
	m         *scenario.Marketplace
	concluded *scenario.Deal
	pending   *scenario.Deal
	invoice   *schema.Invoice
}

func makeWorld(t testing.TB, s *site) *world {
	t.Helper()
	ctx := context.Background()
	m, err := s.b.Marketplace(ctx, scenario.SpreadVouching)
	require.NoError(t, err)
	w := &world{m: m, concluded: m.Deal("koeln-bauantrag", ""), pending: m.Deal("koeln-bauantrag-2", "")}
	require.NoError(t, w.concluded.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
	require.NoError(t, w.pending.Until(ctx, schema.AgreementFeesEntered, scenario.DefaultFees, ""))
	require.NoError(t, s.b.SetPartyDetails(ctx, m.Anbieter, scenario.AnbieterDetails()))
	require.NoError(t, s.b.SetPartyDetails(ctx, m.Customer, scenario.CustomerDetails(s.b.Koeln().LeitwegID, "50667", "Köln")))
	year := schema.Uint(time.Now().UTC().Year())
	w.invoice, err = w.concluded.Invoice(ctx, year, "RE"+s.b.ID("-1"))
	require.NoError(t, err)
	programmed := s.b.ProgrammedPriceModel(2, m.PriceModel.Hash, schema.KeyCases, true, schema.VATStandard)
	programmed.ValidFrom = fmt.Sprintf("%d-01-01", year)
	_, err = s.b.PriceModel(ctx, m.Supplier, programmed)
	require.NoError(t, err)
	_, err = w.concluded.ReportUsage(ctx, year, 100, 0)
	require.NoError(t, err)
	return w
}

// open navigates the tab to a page of the site and returns the text of its
// main element, after checking the page's status.
func open(t testing.TB, ctx context.Context, s *site, path string) string {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(s.url+path))
	require.NoError(t, err, "open %s", path)
	require.Equal(t, int64(http.StatusOK), resp.Status, "status of %s", path)
	text, err := chromedp.Run(ctx, chromedp.Text("main"))
	require.NoError(t, err)
	return text
}

// TestPagesInChromium opens every page in Chromium on each backend: its
// content, no JavaScript error, no WCAG 2.1 A/AA violation (axe-core), and a
// screenshot (test/artifacts/screenshots).
func TestPagesInChromium(t *testing.T) {
	onEachBackend(t, func(t *testing.T, s *site) {
		w := makeWorld(t, s)
		m, d := w.m, w.concluded
		ctx := browsertest.New(t)
		pages := []struct {
			name, path string
			want       []string
		}{
			{"katalog", "/?" + url.Values{"supplier": {m.Supplier.ID}}.Encode(),
				[]string{"Katalog der Angebote", m.Offering.Title, "Bauen & Wohnen", "OZG-Leistung", "Land Mecklenburg-Vorpommern", "govdigital eG", "Veröffentlicht"}},
			{"angebot", "/angebote/" + m.Offering.Offering,
				[]string{m.Offering.Title, m.Offering.Hash, m.PriceModel.Hash, "Vereinbarungen\n2", "Veröffentlicht", m.PriceModel.ValidFrom,
					"Kostenverteilung je Jahr", "Noch nicht veröffentlicht", "Preismodell-Version 2", "cases", d.ID}},
			{"vereinbarung", "/vereinbarungen/" + d.ID,
				[]string{"Verbindlich bestellt", "Geprüft:", d.Agreement.TermsHash, "Entgelte bestätigt", "Verbindlich bestellt", "gültig (VALID)",
					m.Customer.Address(), m.Anbieter.Address(), w.invoice.Number, "XRechnung " + w.invoice.Number + " herunterladen", "Beweispaket herunterladen"}},
			{"vereinbarung-offen", "/vereinbarungen/" + w.pending.ID,
				[]string{"Entgelte eingetragen", "Entgelte der Version 1 bestätigen als Kunde", "Entgelte der Version 1 bestätigen als Anbieter", "Kündigen als Kunde"}},
			{"partei", "/parteien/" + m.Customer.ID,
				[]string{"Stadt Köln", m.Customer.Address(), "unbegrenzt", "govdigital eG", d.ID, w.pending.ID, "Verbindlich bestellt", "Leitweg-ID"}},
			{"pruefung", "/pruefung", []string{"Beweispaket im Browser prüfen", "Prüfmodul bereit"}},
		}
		for _, p := range pages {
			t.Run(p.name, func(t *testing.T) {
				text := open(t, ctx, s, p.path)
				if p.name == "pruefung" {
					_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.verifierLoadMs !== undefined`, chromedp.WithPollingTimeout(30*time.Second)))
					require.NoError(t, err, "the verifier loads")
					text, err = chromedp.Run(ctx, chromedp.Text("main"))
					require.NoError(t, err)
				}
				for _, want := range p.want {
					require.Contains(t, text, want, "page %s", p.path)
				}
				// Status is written out, never shown by colour alone.
				blank, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll(".status, .verdict")].filter(e => e.offsetParent !== null && e.textContent.trim() === "").length`))
				require.NoError(t, err)
				require.Zero(t, blank, "a status without words")
				browsertest.RequireNoJSErrors(t, ctx)
				browsertest.RequireAccessible(t, ctx)
				browsertest.Screenshot(t, ctx, p.name+"-"+s.backend)
			})
		}
	})
}

// TestCatalogueFiltersAndPages checks the catalogue's filters and paging
// against the REST API's listing, and that a refused filter names itself.
func TestCatalogueFiltersAndPages(t *testing.T) {
	s := newEmbedded(t)
	w := makeWorld(t, s)
	ctx := browsertest.New(t)
	text := open(t, ctx, s, "/?"+url.Values{"kind": {schema.KindOZGService}, "q": {"Bauantrag"}}.Encode())
	require.Contains(t, text, w.m.Offering.Title)
	text = open(t, ctx, s, "/?"+url.Values{"kind": {schema.KindCloudService}, "supplier": {w.m.Supplier.ID}}.Encode())
	require.Contains(t, text, "Keine Angebote gefunden.")

	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(s.url+"/?kind=bogus"))
	require.NoError(t, err)
	require.Equal(t, int64(http.StatusBadRequest), resp.Status)
	alert, err := chromedp.Run(ctx, chromedp.Text(`[role="alert"]`))
	require.NoError(t, err)
	require.Contains(t, alert, "kind")
	require.Contains(t, alert, "ozg-service")
	browsertest.RequireAccessible(t, ctx)

	// Pages: three offerings of the supplier, two a page.
	for _, id := range []string{"e-akte", "fuehrerschein"} {
		o := s.b.Bauantrag(1)
		o.Offering, o.Title = s.b.ID(id), "Angebot "+id
		_, err := s.b.Offering(context.Background(), w.m.Supplier, w.m.Anbieter, o, true)
		require.NoError(t, err)
	}
	first := open(t, ctx, s, "/?"+url.Values{"supplier": {w.m.Supplier.ID}, "limit": {"2"}}.Encode())
	require.Contains(t, first, "2 Angebote auf dieser Seite")
	require.NotContains(t, first, "Erste Seite")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`a[rel="next"]`)))
	waitLocation(t, ctx, "cursor=")
	second, err := chromedp.Run(ctx, chromedp.Text("main"))
	require.NoError(t, err)
	require.Contains(t, second, "1 Angebot auf dieser Seite (Folgeseite)")
	require.Contains(t, second, "Erste Seite")
	require.NotContains(t, second, "Nächste Seite")
	rows := func(text string) []string {
		var out []string
		for _, title := range []string{w.m.Offering.Title, "Angebot e-akte", "Angebot fuehrerschein"} {
			if strings.Contains(text, title) {
				out = append(out, title)
			}
		}
		return out
	}
	require.Len(t, rows(first), 2)
	require.Len(t, rows(second), 1)
	require.NotContains(t, rows(first), rows(second)[0], "no offering on both pages")

	// By keyboard: the search field takes the words, Enter submits.
	open(t, ctx, s, "/")
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus("#q"), chromedp.SendKeys("#q", "Bauantrag")))
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\r")))
	waitLocation(t, ctx, "q=Bauantrag")
	text, err = chromedp.Run(ctx, chromedp.Text("main"))
	require.NoError(t, err)
	require.Contains(t, text, w.m.Offering.Title)
}

// waitLocation waits until the tab has navigated to a URL that contains want.
func waitLocation(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && strings.Contains(loc, want) {
			_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete"`))
			if err == nil {
				return
			}
		}
		require.True(t, time.Now().Before(deadline), "the tab did not navigate to %q (at %q, %v)", want, loc, err)
		time.Sleep(50 * time.Millisecond)
	}
}
