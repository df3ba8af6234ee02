package api_test

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

func TestRequestIDs(t *testing.T) {
	h := newEmbedded(t, api.Config{})
	r := h.do(http.MethodGet, "/healthz", nil, map[string]string{"X-Request-ID": "portal-123"}, false)
	require.Equal(t, "portal-123", r.header.Get("X-Request-ID"), "a sane request id is echoed")
	r = h.get("/healthz")
	require.Regexp(t, `^[0-9a-f]{24}$`, r.header.Get("X-Request-ID"), "one is issued when none is given")
	r = h.do(http.MethodGet, "/healthz", nil, map[string]string{"X-Request-ID": "bad id with spaces"}, false)
	require.NotEqual(t, "bad id with spaces", r.header.Get("X-Request-ID"))
}

func TestHealthAndReadiness(t *testing.T) {
	h := newEmbedded(t, api.Config{})
	r := h.get("/healthz")
	require.Equal(t, http.StatusOK, r.status)
	r = h.get("/readyz")
	require.Equal(t, http.StatusOK, r.status)
	var ready api.Health
	r.json(t, &ready)
	require.Equal(t, "ready", ready.Status)
	require.Positive(t, ready.Height)

	// The ledger goes away: not ready, and acts answer 503 with Retry-After.
	s := h.scenario()
	require.NoError(t, h.ledger.Close())
	r = h.get("/readyz")
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	require.Equal(t, "5", r.header.Get("Retry-After"))
	require.Equal(t, "unavailable", r.problem(t).Code)
	r = h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: h.id("late"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}, s.Customer.Key)
	require.Equal(t, http.StatusServiceUnavailable, r.status, "%s", r.body)
	require.Equal(t, "5", r.header.Get("Retry-After"))
}

func TestMetrics(t *testing.T) {
	h := newEmbedded(t, api.Config{})
	s := h.scenario()
	h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: h.id("m1"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}, s.Customer.Key)
	h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: h.id("m2"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}, s.Supplier.Key)
	h.get("/v1/offerings/" + s.Offering.Offering)
	r := h.get("/metrics")
	require.Equal(t, http.StatusOK, r.status)
	body := string(r.body)
	for _, want := range []string{
		`registry_http_requests_total{method="GET",route="/v1/offerings/:id",status="200"} 1`,
		`registry_http_request_duration_seconds_bucket{method="POST",route="/v1/agreements"`,
		`registry_submits_total{act="ExpressInterest",outcome="VALID"} 1`,
		`registry_submits_total{act="ExpressInterest",outcome="refused_forbidden"} 1`,
		`registry_submits_total{act="AddKey",outcome="VALID"} 3`,
	} {
		require.Contains(t, body, want)
	}
}

func TestCORS(t *testing.T) {
	h := newEmbedded(t, api.Config{CORSOrigins: []string{"https://kommunalportal.nrw.example"}})
	preflight := map[string]string{"Origin": "https://kommunalportal.nrw.example", "Access-Control-Request-Method": "POST"}
	r := h.do(http.MethodOptions, "/v1/agreements", nil, preflight, true)
	require.Equal(t, http.StatusNoContent, r.status)
	require.Equal(t, "https://kommunalportal.nrw.example", r.header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, r.header.Get("Access-Control-Allow-Methods"), "POST")

	r = h.do(http.MethodGet, "/healthz", nil, map[string]string{"Origin": "https://evil.example"}, false)
	require.Empty(t, r.header.Get("Access-Control-Allow-Origin"), "an unlisted origin gets no CORS grant")
}

func TestActsAreRateLimitedPerClient(t *testing.T) {
	h := newEmbedded(t, api.Config{ActsPerSecond: 0.001, ActBurst: 1})
	// The scenario's acts would exceed the limit; a bare refused act is enough.
	m := &schema.PlaceOrderMessage{Agreement: "a", TermsHash: schema.ZeroHash, Replay: h.replay()}
	first := h.act("/v1/agreements/a/order", m, mustKey(t))
	require.NotEqual(t, http.StatusTooManyRequests, first.status)
	r := h.act("/v1/agreements/a/order", m, mustKey(t))
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Equal(t, "5", r.header.Get("Retry-After"))
	require.Equal(t, "rate_limited", r.problem(t).Code)
	require.Equal(t, http.StatusOK, h.get("/healthz").status, "reads are not limited")
}

// The access log carries request and transaction ids, and never the member token.
func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	h := newEmbedded(t, api.Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	h.register(schema.PartyRegistration{ID: h.id("govdigital"), Kind: schema.KindAnbieter, Name: "govdigital eG"})
	require.NotContains(t, buf.String(), token)
	var line map[string]any
	first, _, _ := strings.Cut(buf.String(), "\n")
	require.NoError(t, json.Unmarshal([]byte(first), &line))
	require.Equal(t, "POST", line["method"])
	require.Equal(t, "/v1/parties", line["route"])
	require.EqualValues(t, 201, line["status"])
	require.NotEmpty(t, line["requestId"])
	require.Len(t, line["txId"], 64)
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	require.NoError(t, err)
	return k
}

// Reads are cached while committed state is unchanged; an act moves the
// state on, and the next read sees it.
func TestReadsFollowWrites(t *testing.T) {
	h := newEmbedded(t, api.Config{})
	s := h.scenario()
	id := h.id("cached")
	require.Equal(t, http.StatusCreated, h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: id, Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}, s.Customer.Key).status)
	var a schema.Agreement
	for range 3 {
		h.get(agreementPath(id, "")).json(t, &a)
		require.Equal(t, schema.AgreementInterest, a.Status)
	}
	require.Equal(t, http.StatusCreated, h.act(agreementPath(id, "fees"), &schema.EnterFeesMessage{Agreement: id, FeeVersion: 1, PriceModelHash: s.PriceModel.Hash, AnnualFee: 1, Replay: h.replay()}, s.Supplier.Key).status)
	h.get(agreementPath(id, "")).json(t, &a)
	require.Equal(t, schema.AgreementFeesEntered, a.Status)
	var page struct{ Items []schema.Agreement }
	h.get("/v1/agreements?status=FEES_ENTERED").json(t, &page)
	require.Len(t, page.Items, 1)
}
