package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// eachBackend runs a test that configures its own API, on the embedded
// ledger and, with -fabric DIR, on the native network: open serves the API
// with the given configuration (its zero fields filled as the harness does).
func eachBackend(t *testing.T, test func(t *testing.T, open func(api.Config) *harness)) {
	t.Run("embedded", func(t *testing.T) {
		test(t, func(cfg api.Config) *harness { return newEmbedded(t, cfg) })
	})
	if fabrictest.Enabled() {
		t.Run("fabric", func(t *testing.T) {
			test(t, func(cfg api.Config) *harness { return newFabric(t, cfg) })
		})
	}
}

// send is a request exactly as given: no Content-Type is added, and
// nothing is checked against the OpenAPI document (these requests break
// the contract on purpose).
func (h *harness) send(method, path string, body []byte, headers map[string]string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(body))
	require.NoError(h.t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: out}
}

// signedBody is the request body of a party's signed act.
func (h *harness) signedBody(m schema.Message, p *scenario.Party) []byte {
	h.t.Helper()
	act, err := schema.SignAct(h.channel, m, p.Key)
	require.NoError(h.t, err)
	req, err := act.Request()
	require.NoError(h.t, err)
	raw, err := json.Marshal(req)
	require.NoError(h.t, err)
	return raw
}

func registration(t *testing.T, reg schema.PartyRegistration) []byte {
	t.Helper()
	reg.Normalize()
	raw, err := json.Marshal(reg)
	require.NoError(t, err)
	return raw
}

// Acts and member calls take application/json, whatever its spelling and
// parameters, and answer 415 naming Content-Type otherwise.
func TestContentTypes(t *testing.T) { onEachBackend(t, testContentTypes) }

func testContentTypes(t *testing.T, h *harness) {
	s := h.scenario()
	refused := []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
		"application/jsonx", "application/json; charset=latin1", "application/problem+json", ";;", "application/json; charset"}
	accepted := []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "APPLICATION/JSON;CHARSET=UTF-8",
		"application/json ; charset=\"utf-8\""}

	party := func(i int) schema.PartyRegistration {
		return schema.PartyRegistration{ID: h.id("ct-party-" + string(rune('a'+i))), Kind: schema.KindAnbieter, Name: "Anbieter"}
	}
	requireUnsupported := func(r response, contentType string) {
		t.Helper()
		require.Equal(t, http.StatusUnsupportedMediaType, r.status, "Content-Type %q: %s", contentType, r.body)
		p := r.problem(t)
		require.Equal(t, "Content-Type", p.Field)
		require.Equal(t, "unsupported_media_type", p.Code)
		require.NotEmpty(t, p.Rule)
	}
	withType := func(ct string, extra map[string]string) map[string]string {
		out := map[string]string{}
		if ct != "" {
			out["Content-Type"] = ct
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}

	for _, ct := range refused {
		// A member call, an in-house replacement (PUT) and a signed act.
		requireUnsupported(h.send(http.MethodPost, "/v1/parties", registration(t, party(0)), withType(ct, member())), ct)
		requireUnsupported(h.send(http.MethodPut, "/v1/parties/"+s.Customer.ID+"/in-house", []byte(`["`+s.Anbieter.ID+`"]`), withType(ct, member())), ct)
		m := &schema.ExpressInterestMessage{Agreement: h.id("ct-refused"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}
		requireUnsupported(h.send(http.MethodPost, "/v1/agreements", h.signedBody(m, s.Customer), withType(ct, nil)), ct)
	}
	r := h.get("/v1/agreements/" + h.id("ct-refused"))
	require.Equal(t, http.StatusNotFound, r.status, "no refused act reached the ledger")

	for i, ct := range accepted {
		r := h.send(http.MethodPost, "/v1/parties", registration(t, party(i)), withType(ct, member()))
		require.Equal(t, http.StatusCreated, r.status, "Content-Type %q: %s", ct, r.body)
		m := &schema.ExpressInterestMessage{Agreement: h.id("ct-" + string(rune('a'+i))), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}
		r = h.send(http.MethodPost, "/v1/agreements", h.signedBody(m, s.Customer), withType(ct, nil))
		require.Equal(t, http.StatusCreated, r.status, "Content-Type %q: %s", ct, r.body)
	}
	r = h.send(http.MethodPut, "/v1/parties/"+s.Customer.ID+"/in-house", []byte(`["`+s.Anbieter.ID+`"]`), withType("application/json; charset=utf-8", member()))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	// Reads take no body and need no Content-Type.
	require.Equal(t, http.StatusOK, h.send(http.MethodGet, "/v1/parties/"+s.Customer.ID, nil, nil).status)
	// An unknown path stays a 404, whatever its Content-Type.
	require.Equal(t, http.StatusNotFound, h.send(http.MethodPost, "/v1/nothing", []byte("x"), map[string]string{"Content-Type": "text/plain"}).status)
}

// The Bearer scheme of Authorization is matched case-insensitively (RFC 7235).
func TestBearerSchemeIsCaseInsensitive(t *testing.T) { onEachBackend(t, testBearerScheme) }

func testBearerScheme(t *testing.T, h *harness) {
	for i, auth := range []string{"bearer " + token, "BEARER " + token, "Bearer  " + token, "bEaReR " + token} {
		reg := schema.PartyRegistration{ID: h.id("bearer-" + string(rune('a'+i))), Kind: schema.KindAnbieter, Name: "Anbieter"}
		reg.Normalize()
		r := h.do(http.MethodPost, "/v1/parties", reg, map[string]string{"Authorization": auth}, false)
		require.Equal(t, http.StatusCreated, r.status, "Authorization %q: %s", strings.Replace(auth, token, "TOKEN", 1), r.body)
	}
	for _, auth := range []string{"Basic " + token, "Bearer" + token, "Bearer wrong", token} {
		reg := schema.PartyRegistration{ID: h.id("not-bearer"), Kind: schema.KindAnbieter, Name: "Anbieter"}
		reg.Normalize()
		r := h.do(http.MethodPost, "/v1/parties", reg, map[string]string{"Authorization": auth}, false)
		require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
		require.Equal(t, "Authorization", r.problem(t).Field)
	}
}

// No problem echoes unbounded input: huge values in any place a client
// reaches give a small problem, its rule, detail and field clipped.
func TestProblemsAreBounded(t *testing.T) { onEachBackend(t, testProblemsAreBounded) }

func testProblemsAreBounded(t *testing.T, h *harness) {
	s := h.scenario()
	huge := strings.Repeat("x", 300_000)
	hugeDigits := strings.Repeat("7", 300_000)
	reg := func(mutate func(map[string]any)) []byte {
		m := map[string]any{"id": h.id("bounded"), "kind": schema.KindKommune, "name": "Stadt", "ags": "05315000"}
		mutate(m)
		raw, err := json.Marshal(m)
		require.NoError(t, err)
		return raw
	}
	order := func(agreement string) []byte {
		return h.signedBody(&schema.PlaceOrderMessage{Agreement: agreement, TermsHash: schema.ZeroHash, Replay: h.replay()}, s.Customer)
	}
	jsonType := map[string]string{"Content-Type": "application/json"}
	memberJSON := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + token}

	cases := []struct {
		name, method, path string
		body               []byte
		headers            map[string]string
	}{
		{"a huge unknown field of a registration", http.MethodPost, "/v1/parties", reg(func(m map[string]any) { m[huge] = 1 }), memberJSON},
		{"a huge AGS", http.MethodPost, "/v1/parties", reg(func(m map[string]any) { m["ags"] = hugeDigits }), memberJSON},
		{"a huge party id", http.MethodPost, "/v1/parties", reg(func(m map[string]any) { m["id"] = huge }), memberJSON},
		{"a huge in-house id", http.MethodPost, "/v1/parties", reg(func(m map[string]any) { m["inHouse"] = []string{huge} }), memberJSON},
		{"a huge name", http.MethodPost, "/v1/parties", reg(func(m map[string]any) { m["name"] = huge }), memberJSON},
		{"a huge path id of an act", http.MethodPost, "/v1/agreements/" + huge + "/order", order("a"), jsonType},
		{"a huge agreement id in a signed act", http.MethodPost, "/v1/agreements/" + huge + "/order", order(huge), jsonType},
		{"a huge annual fee", http.MethodPost, "/v1/agreements/a/fees", []byte(`{"message":{"agreement":"a","annualFee":"` + hugeDigits + `"},"signature":"0x00"}`), jsonType},
		{"a huge unknown path", http.MethodGet, "/v1/" + huge, nil, nil},
		{"a huge party id in the path", http.MethodGet, "/v1/parties/" + huge, nil, nil},
		{"a huge version", http.MethodGet, "/v1/offerings/" + s.Offering.Offering + "/versions/" + hugeDigits, nil, nil},
		{"a huge cursor", http.MethodGet, "/v1/offerings?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(huge[:200_000])), nil, nil},
		{"a huge limit", http.MethodGet, "/v1/offerings?limit=" + hugeDigits, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.send(c.method, c.path, c.body, c.headers)
			require.GreaterOrEqual(t, r.status, 400, "%.300s", r.body)
			p := r.problem(t)
			require.Less(t, len(r.body), 8192, "the problem is small: %.600s", r.body)
			require.LessOrEqual(t, utf8.RuneCountInString(p.Rule), 500)
			require.LessOrEqual(t, utf8.RuneCountInString(p.Detail), 500)
			require.LessOrEqual(t, utf8.RuneCountInString(p.Field), 200)
			require.LessOrEqual(t, utf8.RuneCountInString(p.Instance), 500)
		})
	}
}

// A refused act or member call carries no transaction id: nothing of it is
// on the ledger.
func TestRefusalsCarryNoTxID(t *testing.T) { onEachBackend(t, testRefusalsCarryNoTxID) }

func testRefusalsCarryNoTxID(t *testing.T, h *harness) {
	s := h.scenario()
	id := h.id("refused")
	interest := func(p *scenario.Party) response {
		return h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: id, Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}, p.Key)
	}
	r := interest(s.Customer)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	govdigital := h.b.Govdigital()
	govdigital.Normalize()

	for name, r := range map[string]response{
		"the same interest again (conflict)": interest(s.Customer),
		"signed by the supplier (forbidden)": interest(s.Supplier),
		"an order of no agreement (not found)": h.act(agreementPath(h.id("none"), "order"),
			&schema.PlaceOrderMessage{Agreement: h.id("none"), TermsHash: schema.ZeroHash, Replay: h.replay()}, s.Customer.Key),
		"a party registered twice (conflict)": h.do(http.MethodPost, "/v1/parties", govdigital, member(), false),
	} {
		require.GreaterOrEqual(t, r.status, 400, "%s: %s", name, r.body)
		require.Less(t, r.status, 500, "%s: %s", name, r.body)
		p := r.problem(t)
		require.Empty(t, p.TxID, "%s: %s", name, r.body)
		require.Empty(t, p.TxStatus, "%s: %s", name, r.body)
		require.NotContains(t, string(r.body), "txId", name)
	}
}

// Forwarded headers name the client only when a trusted proxy sends them:
// forged ones from anyone else neither escape the per-client act limit nor
// reach the access log.
func TestForwardedHeaders(t *testing.T) { eachBackend(t, testForwardedHeaders) }

func testForwardedHeaders(t *testing.T, open func(api.Config) *harness) {
	forged := []string{"203.0.113.7", "198.51.100.23", "192.0.2.99"}
	badAct := func(h *harness, headers map[string]string) response {
		m := &schema.PlaceOrderMessage{Agreement: "forwarded", TermsHash: schema.ZeroHash, Replay: h.replay()}
		act, err := schema.SignAct(h.channel, m, mustKey(t))
		require.NoError(t, err)
		body, err := act.Request()
		require.NoError(t, err)
		return h.do(http.MethodPost, agreementPath("forwarded", "order"), body, headers, true)
	}
	clients := func(log *syncBuffer) []string {
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
			var entry map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &entry))
			if entry["route"] == "/v1/agreements/:id/order" {
				out = append(out, entry["client"].(string))
			}
		}
		return out
	}

	t.Run("untrusted peer", func(t *testing.T) {
		var log syncBuffer
		h := open(api.Config{ActsPerSecond: 0.001, ActBurst: 1, Logger: slog.New(slog.NewJSONHandler(&log, nil))})
		for i, ip := range forged {
			r := badAct(h, map[string]string{"X-Forwarded-For": ip, "X-Real-IP": ip})
			if i == 0 {
				require.NotEqual(t, http.StatusTooManyRequests, r.status, "%s", r.body)
				continue
			}
			require.Equal(t, http.StatusTooManyRequests, r.status, "a forged X-Forwarded-For (%s) does not escape the limit: %s", ip, r.body)
		}
		require.Equal(t, []string{"127.0.0.1", "127.0.0.1", "127.0.0.1"}, clients(&log), "the log records the peer")
		for _, ip := range forged {
			require.NotContains(t, log.String(), ip)
		}
	})

	t.Run("trusted proxy", func(t *testing.T) {
		var log syncBuffer
		h := open(api.Config{ActsPerSecond: 0.001, ActBurst: 1, TrustedProxies: []string{"127.0.0.1/32"}, Logger: slog.New(slog.NewJSONHandler(&log, nil))})
		for _, ip := range forged {
			r := badAct(h, map[string]string{"X-Forwarded-For": ip})
			require.NotEqual(t, http.StatusTooManyRequests, r.status, "each forwarded client has its own limit: %s", r.body)
		}
		r := badAct(h, map[string]string{"X-Forwarded-For": forged[0]})
		require.Equal(t, http.StatusTooManyRequests, r.status, "the same forwarded client again is limited: %s", r.body)
		require.Equal(t, append(forged, forged[0]), clients(&log), "the log records the forwarded client")
	})
}

func TestTrustedProxiesAreChecked(t *testing.T) {
	_, err := api.New(api.Config{Client: &client.Client{}, TrustedProxies: []string{"not an address"}})
	require.ErrorContains(t, err, "trusted proxies")
}

// syncBuffer is a log sink the server's goroutines write to while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// /healthz tells the truth: 503 once the ledger has failed (Config.Health),
// while /readyz reports whether it answers.
func TestHealthzReportsAFailedLedger(t *testing.T) {
	var failure atomic.Pointer[error]
	h := newEmbedded(t, api.Config{Health: func() error {
		if p := failure.Load(); p != nil {
			return *p
		}
		return nil
	}})
	require.Equal(t, http.StatusOK, h.get("/healthz").status)
	err := errors.Join(ledger.ErrFailed, errors.New("write ledger.db: no space left on device"))
	failure.Store(&err)
	r := h.get("/healthz")
	require.Equal(t, http.StatusServiceUnavailable, r.status, "%s", r.body)
	p := r.problem(t)
	require.Equal(t, "unhealthy", p.Code)
	require.Contains(t, p.Rule, "restart")
	require.NotContains(t, string(r.body), "no space left", "the cause is logged, not answered")
}

// The embedded ledger's block signer is named plainly in the signed terms.
func TestEmbeddedBlockSigner(t *testing.T) {
	h := newEmbedded(t, api.Config{})
	s := h.scenario()
	d := s.Deal("signer", "")
	require.NoError(t, d.Until(context.Background(), schema.AgreementConcluded, scenario.DefaultFees, ""))
	r := h.get(agreementPath(d.ID, "terms"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var terms api.SignedTerms
	r.json(t, &terms)
	require.NotEmpty(t, terms.Acts)
	for _, act := range terms.Acts {
		require.Equal(t, "the ledger node of DataportMSP (certificate CN=node)", act.BlockSignedBy)
	}
}
