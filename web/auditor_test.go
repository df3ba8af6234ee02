package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/efa-marktplatz/registry/internal/browsertest"
	"github.com/stretchr/testify/require"
)

// download saves what a GET of the site answers to a file.
func download(t testing.TB, s *site, path, file string) string {
	t.Helper()
	resp, err := http.Get(s.url + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
	out := filepath.Join(t.TempDir(), file)
	require.NoError(t, os.WriteFile(out, body, 0o644))
	return out
}

// rootFiles lists the files of the site's roots directory.
func rootFiles(t testing.TB, s *site) []string {
	t.Helper()
	entries, err := os.ReadDir(s.roots)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, filepath.Join(s.roots, e.Name()))
	}
	require.NotEmpty(t, out)
	return out
}

// verdict is what the auditor's page shows once it verified.
type verdict struct {
	Text         string
	FirstFailure string // the highlighted check, "" when all hold
	Checks       int
}

// verifyInPage hands a bundle and the roots to the auditor's page open in
// the tab and returns its verdict.
func verifyInPage(t *testing.T, ctx context.Context, bundle string, roots []string) verdict {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`globalThis.efaVerifierReady === true`, chromedp.WithPollingTimeout(60*time.Second)))
	require.NoError(t, err, "the verifier loads")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetUploadFiles("#bundle", []string{bundle}),
		chromedp.SetUploadFiles("#roots", roots),
		chromedp.Click("#verify-button"),
		chromedp.WaitVisible("#verify-result"),
	))
	var v verdict
	v.Text, err = chromedp.Run(ctx, chromedp.Text("#verdict"))
	require.NoError(t, err)
	v.FirstFailure, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#checks li.first-failure")?.textContent ?? ""`))
	require.NoError(t, err)
	v.Checks, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#checks li").length`))
	require.NoError(t, err)
	return v
}

// TestAuditorVerifiesInTheBrowser verifies an agreement's proof bundle with
// the WebAssembly verifier on the auditor's page, on each backend: the
// bundle as downloaded holds, a bundle with one fee changed by a cent does
// not and its first broken link is highlighted, and the page saved as one
// file verifies with the network cut off.
func TestAuditorVerifiesInTheBrowser(t *testing.T) {
	onEachBackend(t, func(t *testing.T, s *site) {
		w := makeWorld(t, s)
		d := w.concluded
		bundle := download(t, s, "/v1/agreements/"+d.ID+"/proof", d.ID+".proof.json")
		raw, err := os.ReadFile(bundle)
		require.NoError(t, err)
		// One fee of the fee version changed by a cent: past the agreement
		// record, whose EnterFees act carries the same figure.
		at := bytes.Index(raw, []byte(`"feeVersions"`))
		require.Positive(t, at)
		require.Contains(t, string(raw[at:]), `"annualFee": "1000000"`)
		raw = append(raw[:at:at], bytes.Replace(raw[at:], []byte(`"annualFee": "1000000"`), []byte(`"annualFee": "1000001"`), 1)...)
		tampered := filepath.Join(t.TempDir(), "tampered.proof.json")
		require.NoError(t, os.WriteFile(tampered, raw, 0o644))
		roots := rootFiles(t, s)

		ctx := browsertest.New(t)
		open(t, ctx, s, "/pruefung")
		v := verifyInPage(t, ctx, bundle, roots)
		require.Contains(t, v.Text, "Geprüft: alle")
		require.Contains(t, v.Text, d.ID)
		require.Empty(t, v.FirstFailure)
		require.Greater(t, v.Checks, 20)
		browsertest.RequireAccessible(t, ctx)
		browsertest.ScreenshotView(t, ctx, "pruefung-bestanden-"+s.backend)

		open(t, ctx, s, "/pruefung")
		v = verifyInPage(t, ctx, tampered, roots)
		require.Contains(t, v.Text, "Nicht bestanden")
		require.Contains(t, v.FirstFailure, "Erstes gebrochenes Glied")
		require.Contains(t, v.FirstFailure, "fee version 1 of "+d.ID)
		focused, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement?.classList.contains("first-failure") === true`))
		require.NoError(t, err)
		require.True(t, focused, "the first broken link has the focus")
		browsertest.RequireNoJSErrors(t, ctx)
		browsertest.RequireAccessible(t, ctx)
		browsertest.ScreenshotView(t, ctx, "pruefung-gebrochen-"+s.backend)

		// Saved as one file and opened without a network.
		saved := download(t, s, "/pruefung/offline.html", "efa-pruefung.html")
		offline := browsertest.New(t)
		browsertest.Offline(t, offline)
		require.NoError(t, chromedp.Do(offline, chromedp.Navigate("file://"+saved)))
		v = verifyInPage(t, offline, bundle, roots)
		require.Contains(t, v.Text, "Geprüft: alle")
		v = verifyInPage(t, offline, tampered, roots)
		require.Contains(t, v.FirstFailure, "fee version 1 of "+d.ID)
		browsertest.RequireNoJSErrors(t, offline)
	})
}
