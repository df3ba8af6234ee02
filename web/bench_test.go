package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/efa-marktplatz/registry/internal/browsertest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// The figures of the pages, each beside a reference taken at the same
// moment on the same machine:
//
//	go test -run '^$' -bench . -benchtime 20x ./web/
//
// catalogue: first contentful paint of the catalogue in Chromium with
// 10,000 published offerings, against a GET of the listing it shows
// (/v1/offerings?status=PUBLISHED&limit=50) from Go. agreement: the same
// for an agreement page with 50 signed acts, against a GET of its verified
// terms (/terms). verify: the WebAssembly verifier on an 8-act bundle in
// Chromium, against proof.Verify natively (what registryctl verify runs),
// and the verifier's load (fetch and compile) on the auditor's page.

// render navigates to a page and returns its first contentful paint and
// the time its HTML took to arrive (navigation timing's responseEnd), both
// from the start of the navigation.
func render(b *testing.B, ctx context.Context, url string) (fcp, html time.Duration) {
	b.Helper()
	require.NoError(b, chromedp.Do(ctx, chromedp.Navigate(url)))
	ms, err := chromedp.Run(ctx, chromedp.Poll[[]float64](
		`(() => { const p = performance.getEntriesByName("first-contentful-paint")[0]; const n = performance.getEntriesByType("navigation")[0];
		   return p && n ? [p.startTime, n.responseEnd] : undefined })()`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(b, err)
	return time.Duration(ms[0] * float64(time.Millisecond)), time.Duration(ms[1] * float64(time.Millisecond))
}

// blankPage serves a page in the site's style without data, on a server of
// its own: the reference for what Chromium takes to paint any page.
func blankPage(b *testing.B) string {
	b.Helper()
	css, err := os.ReadFile(filepath.Join("static", "style.css"))
	require.NoError(b, err)
	page := `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Leer</title><style>` + string(css) +
		`</style></head><body><main><h1>Leer</h1><p>Eine Seite ohne Daten.</p></main></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, page)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// measure renders a page and the blank page and fetches the page's API
// read from Go, interleaved, and reports the means: the page's first
// contentful paint and HTML arrival, the blank page's first paint, and the
// API read.
func measure(b *testing.B, ctx context.Context, s *site, page, read string) {
	b.Helper()
	blank := blankPage(b)
	var fcpSum, htmlSum, blankSum, readSum time.Duration
	n := 0
	for b.Loop() {
		f, h := render(b, ctx, s.url+page)
		fb, _ := render(b, ctx, blank)
		fcpSum, htmlSum, blankSum = fcpSum+f, htmlSum+h, blankSum+fb
		readSum += fetch(b, s.url+read)
		n++
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	b.ReportMetric(ms(fcpSum), "fcp-ms")
	b.ReportMetric(ms(htmlSum), "html-ms")
	b.ReportMetric(ms(blankSum), "blank-fcp-ms")
	b.ReportMetric(ms(readSum), "api-read-ms")
}

// fetch times a GET from Go, body read.
func fetch(b *testing.B, url string) time.Duration {
	b.Helper()
	began := time.Now()
	resp, err := http.Get(url)
	require.NoError(b, err)
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(b, err)
	require.NoError(b, resp.Body.Close())
	require.Equal(b, http.StatusOK, resp.StatusCode, url)
	return time.Since(began)
}

// report reports the means of a page's and its reference's times.
func report(b *testing.B, page, ref time.Duration, n int, pageUnit, refUnit string) {
	b.ReportMetric(float64(page.Microseconds())/1000/float64(n), pageUnit)
	b.ReportMetric(float64(ref.Microseconds())/1000/float64(n), refUnit)
	b.ReportMetric(float64(page)/float64(ref), "ratio")
}

// waitProjected waits until the read model holds every committed block.
func waitProjected(b *testing.B, s *site) {
	b.Helper()
	ctx := context.Background()
	h, err := s.client.Height(ctx)
	require.NoError(b, err)
	require.NoError(b, s.readModel.WaitFor(ctx, h-1))
}

func BenchmarkCatalogue10000(b *testing.B) {
	s := newEmbedded(b)
	w := makeWorld(b, s)
	clients, err := s.reg.Scenario(scenario.Dataport, scenario.Dataport)
	require.NoError(b, err)
	seed := scenario.New(clients, scenario.WithSuffix(s.b.Suffix()))
	const offerings, workers = 10_000, 16
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Go(func() {
			for i := g; i < offerings-1; i += workers {
				m := seed.Bauantrag(1)
				m.Offering = fmt.Sprintf("angebot-%05d", i)
				m.Title = fmt.Sprintf("Angebot %05d", i)
				m.Replay = seed.Replay()
				if _, err := seed.Offering(context.Background(), w.m.Supplier, w.m.Anbieter, m, true); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	require.NoError(b, <-errs)
	waitProjected(b, s)
	b.Logf("seeded %d offerings (two acts each) in %s", offerings-1, time.Since(began).Round(time.Second))
	measure(b, browsertest.New(b), s, "/", "/v1/offerings?status=PUBLISHED&limit=50")
}

func BenchmarkAgreement50Acts(b *testing.B) {
	s := newEmbedded(b)
	ctx := context.Background()
	m, err := s.b.Marketplace(ctx, scenario.SpreadVouching)
	require.NoError(b, err)
	d := m.Deal("fuenfzig-akte", "")
	require.NoError(b, d.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
	// 5 acts so far; each fee change is 3 more: 15 changes make 50.
	for i := range 15 {
		fees := scenario.DefaultFees
		fees.AnnualFee += schema.Uint(100 * (i + 1))
		require.NoError(b, d.EnterFees(ctx, fees))
		require.NoError(b, d.Approve(ctx, d.Customer))
		require.NoError(b, d.Approve(ctx, d.Anbieter))
	}
	require.Equal(b, schema.Uint(50), d.Agreement.ActCount)
	measure(b, browsertest.New(b), s, "/vereinbarungen/"+d.ID, "/v1/agreements/"+d.ID+"/terms")
}

func BenchmarkVerify8Acts(b *testing.B) {
	s := newEmbedded(b)
	ctx := context.Background()
	m, err := s.b.Marketplace(ctx, scenario.SpreadVouching)
	require.NoError(b, err)
	d := m.Deal("acht-akte", "")
	require.NoError(b, d.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
	path := download(b, s, "/v1/agreements/"+d.ID+"/proof", d.ID+".proof.json")
	bundle, err := proof.ReadFile(path)
	require.NoError(b, err)
	raw, err := os.ReadFile(path)
	require.NoError(b, err)
	trust, err := proof.LoadRoots(s.roots)
	require.NoError(b, err)
	report0, terms := proof.Verify(bundle, trust)
	require.True(b, report0.OK)
	require.Len(b, terms.Acts, 8, "offering, its acceptance, the price model and five acts on the agreement")
	var roots []map[string]string
	for _, f := range rootFiles(b, s) {
		content, err := os.ReadFile(f)
		require.NoError(b, err)
		roots = append(roots, map[string]string{"name": filepath.Base(f), "content": string(content)})
	}

	tab := browsertest.New(b)
	var load time.Duration
	loads := 0
	for range 3 {
		open(b, tab, s, "/pruefung")
		ms, err := chromedp.Run(tab, chromedp.Poll[float64](`Number(document.body.dataset.verifierLoadMs)`, chromedp.WithPollingTimeout(60*time.Second)))
		require.NoError(b, err)
		load += time.Duration(ms * float64(time.Millisecond))
		loads++
	}
	args := fmt.Sprintf("(%s, %s)", jsString(string(raw)), mustJSON(b, roots))
	var wasm, native time.Duration
	n := 0
	for b.Loop() {
		ms, err := chromedp.Run(tab, chromedp.Evaluate[float64](`(() => { const t0 = performance.now(); const out = JSON.parse(efaVerify`+args+
			`); if (!out.report || !out.report.ok) throw new Error("not verified: " + JSON.stringify(out).slice(0, 300)); return performance.now() - t0; })()`))
		require.NoError(b, err)
		wasm += time.Duration(ms * float64(time.Millisecond))
		began := time.Now()
		bnd, err := proof.ReadFile(path)
		require.NoError(b, err)
		r, _ := proof.Verify(bnd, trust)
		native += time.Since(began)
		require.True(b, r.OK)
		n++
	}
	report(b, wasm, native, n, "wasm-verify-ms", "native-verify-ms")
	b.ReportMetric(float64(load.Microseconds())/1000/float64(loads), "wasm-load-ms")
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
