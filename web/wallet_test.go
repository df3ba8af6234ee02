package web_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/efa-marktplatz/registry/internal/browsertest"
	"github.com/efa-marktplatz/registry/internal/jstest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// wallet injects the EIP-1193 test wallet (testdata/eip1193-wallet.js over
// ethers v6 from npm) holding the party's key into every page the tab opens
// from now on, in place of the one before.
type wallet struct {
	t      *testing.T
	ctx    context.Context
	ethers string
	script string
	id     page.ScriptIdentifier
}

func newWallet(t *testing.T, ctx context.Context) *wallet {
	t.Helper()
	ethers, err := os.ReadFile(filepath.Join(jstest.Install(t), "node_modules", "ethers", "dist", "ethers.umd.min.js"))
	require.NoError(t, err)
	script, err := os.ReadFile(filepath.Join("testdata", "eip1193-wallet.js"))
	require.NoError(t, err)
	return &wallet{t: t, ctx: ctx, ethers: string(ethers), script: string(script)}
}

// hold puts the party's key in the wallet, for the pages opened next.
func (w *wallet) hold(p *scenario.Party) {
	w.t.Helper()
	if w.id != "" {
		_, err := chromedp.Call(w.ctx, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: w.id})
		require.NoError(w.t, err)
	}
	key := "0x" + hex.EncodeToString(crypto.FromECDSA(p.Key))
	src := w.ethers + "\n;globalThis.__testWalletKey = " + jsString(key) + ";\n" + w.script
	res, err := chromedp.Call(w.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
	require.NoError(w.t, err)
	w.id = res.Identifier
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// typedData is what the wallet was asked to sign.
type typedData struct {
	Types       map[string][]schema.EIP712Field `json:"types"`
	Domain      map[string]string               `json:"domain"`
	PrimaryType string                          `json:"primaryType"`
	Message     map[string]string               `json:"message"`
}

// signed returns the typed data of every eth_signTypedData_v4 request the
// wallet got on the current page.
func signed(t *testing.T, ctx context.Context) []typedData {
	t.Helper()
	payloads, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`globalThis.__walletRequests.filter(r => r.method === "eth_signTypedData_v4").map(r => r.params[1])`))
	require.NoError(t, err)
	var out []typedData
	for _, p := range payloads {
		var td typedData
		require.NoError(t, json.Unmarshal([]byte(p), &td), "%s", p)
		out = append(out, td)
	}
	return out
}

// review is what the page shows before the wallet signs.
type review struct {
	Summary string
	Fields  [][2]string // label, value
}

// propose clicks an act's button (or submits its form) and returns the review the page shows.
func propose(t *testing.T, ctx context.Context, form string) review {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(form+` button[type="submit"]`), chromedp.WaitVisible("#wallet-review")))
	var r review
	var err error
	r.Summary, err = chromedp.Run(ctx, chromedp.Text("#wallet-summary"))
	require.NoError(t, err)
	r.Fields, err = chromedp.Run(ctx, chromedp.Evaluate[[][2]string](
		`[...document.querySelectorAll("#wallet-fields dt")].map(dt => [dt.textContent, dt.nextElementSibling.textContent])`))
	require.NoError(t, err)
	return r
}

// sign presses "Mit Wallet signieren" by keyboard and waits for the
// registry's answer: committed or refused.
func sign(t *testing.T, ctx context.Context) (outcome, status string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus("#wallet-sign"), chromedp.KeyEvent("\r")))
	outcome, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("wallet-status").dataset.outcome`,
		chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err)
	status, err = chromedp.Run(ctx, chromedp.Text("#wallet-status"))
	require.NoError(t, err)
	return outcome, status
}

// TestWalletSignsTheWorkflow signs an agreement's whole workflow through
// the agreement page with an EIP-1193 wallet holding each party's key in
// turn: both approvals, the order and a termination. The wallet is asked to
// sign exactly the message the page showed, and a signature by the wrong
// party's key is refused by the registry.
func TestWalletSignsTheWorkflow(t *testing.T) {
	onEachBackend(t, func(t *testing.T, s *site) {
		w := makeWorld(t, s)
		d, m := w.pending, w.m
		ctx := browsertest.New(t)
		wal := newWallet(t, ctx)
		path := "/vereinbarungen/" + d.ID
		kunde := `form[data-act="ApproveFees"][data-role="Kunde"]`
		anbieter := `form[data-act="ApproveFees"][data-role="Anbieter"]`

		// The customer's key cannot approve as the Anbieter: the registry refuses.
		wal.hold(m.Customer)
		open(t, ctx, s, path)
		propose(t, ctx, anbieter)
		outcome, status := sign(t, ctx)
		require.Equal(t, "refused", outcome, status)
		require.Contains(t, status, "abgelehnt")

		// Cancelled: nothing is signed.
		open(t, ctx, s, path)
		propose(t, ctx, kunde)
		require.NoError(t, chromedp.Do(ctx, chromedp.Click("#wallet-cancel")))
		status, err := chromedp.Run(ctx, chromedp.Text("#wallet-status"))
		require.NoError(t, err)
		require.Contains(t, status, "nichts wurde signiert")
		require.Empty(t, signed(t, ctx))

		// The customer approves; what the wallet signs is what the page showed.
		r := propose(t, ctx, kunde)
		require.Contains(t, r.Summary, "als Kunde Stadt Köln")
		require.Contains(t, r.Summary, "Version 1 der Vereinbarung "+d.ID)
		require.Contains(t, r.Summary, d.Agreement.TermsHash)
		browsertest.RequireAccessible(t, ctx)
		browsertest.ScreenshotView(t, ctx, "wallet-pruefen-"+s.backend)
		outcome, status = sign(t, ctx)
		require.Equal(t, "committed", outcome, status)
		got := signed(t, ctx)
		require.Len(t, got, 1)
		td := got[0]
		require.Equal(t, schema.TypeApproveFees, td.PrimaryType)
		var eip schema.EIP712
		getJSON(t, s, "/v1/eip712", &eip)
		require.Equal(t, eip.Domain, td.Domain, "the registry's domain")
		require.Equal(t, eip.Types[schema.TypeApproveFees], td.Types[schema.TypeApproveFees])
		require.Equal(t, map[string]string{"agreement": d.ID, "party": m.Customer.ID, "feeVersion": "1", "termsHash": d.Agreement.TermsHash,
			"nonce": td.Message["nonce"], "deadline": td.Message["deadline"]}, td.Message)
		require.Len(t, r.Fields, len(td.Message), "every field is shown")
		for i, f := range eip.Types[schema.TypeApproveFees] {
			require.True(t, strings.HasPrefix(r.Fields[i][1], td.Message[f.Name]) || strings.HasSuffix(r.Fields[i][1], "("+td.Message[f.Name]+")"),
				"field %s shown as %q, signed as %q", f.Name, r.Fields[i][1], td.Message[f.Name])
		}

		// The Anbieter approves, the customer orders, the Anbieter terminates.
		wal.hold(m.Anbieter)
		open(t, ctx, s, path)
		propose(t, ctx, anbieter)
		outcome, status = sign(t, ctx)
		require.Equal(t, "committed", outcome, status)

		wal.hold(m.Customer)
		text := open(t, ctx, s, path)
		require.Contains(t, text, "Entgelte bestätigt")
		r = propose(t, ctx, `form[data-act="PlaceOrder"]`)
		require.Contains(t, r.Summary, "verbindlich")
		outcome, status = sign(t, ctx)
		require.Equal(t, "committed", outcome, status)

		wal.hold(m.Anbieter)
		open(t, ctx, s, path)
		end := time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)
		form := `form[data-act="Terminate"][data-role="Anbieter"]`
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SetValue(form+` input[name="endDate"]`, end),
			chromedp.SendKeys(form+` input[name="reason"]`, "Ende des Betriebs"),
		))
		r = propose(t, ctx, form)
		require.Contains(t, r.Summary, "zum "+end)
		require.Contains(t, r.Summary, "Ende des Betriebs")
		outcome, status = sign(t, ctx)
		require.Equal(t, "committed", outcome, status)

		text = open(t, ctx, s, path)
		require.Contains(t, text, "Gekündigt")
		require.Contains(t, text, "zum "+end)
		for _, key := range []*scenario.Party{m.Customer, m.Anbieter} {
			require.Contains(t, text, key.Address(), "the timeline names the key that signed")
		}
		browsertest.RequireNoJSErrors(t, ctx)
		browsertest.RequireAccessible(t, ctx)
		browsertest.Screenshot(t, ctx, "wallet-gekuendigt-"+s.backend)

		var a schema.Agreement
		getJSON(t, s, "/v1/agreements/"+d.ID, &a)
		require.Equal(t, schema.AgreementTerminated, a.Status)
		require.Equal(t, end, a.EndDate)
		require.Equal(t, schema.Uint(6), a.ActCount, "interest, fees, two approvals, order, termination — and no more")
	})
}

func getJSON(t testing.TB, s *site, path string, v any) {
	t.Helper()
	resp, err := http.Get(s.url + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, path)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}
