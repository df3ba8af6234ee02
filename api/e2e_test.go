package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

func TestHTTPWorkflow(t *testing.T) { onEachBackend(t, testHTTPWorkflow) }

func testHTTPWorkflow(t *testing.T, h *harness) {
	s := h.scenario()
	id := h.id("koeln-bauantrag")

	r := h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: id, Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}, s.Customer.Key)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var stamp api.Stamped
	r.json(t, &stamp)
	require.Len(t, stamp.TxID, 64)
	require.Positive(t, stamp.BlockNumber)

	r = h.act(agreementPath(id, "fees"), &schema.EnterFeesMessage{Agreement: id, FeeVersion: 1, PriceModelHash: s.PriceModel.Hash,
		AnnualFee: 1_200_000, ProRataFee: 100_000, ConnectionFee: 50_000, ScopeOfUse: "Bauaufsicht", Replay: h.replay()}, s.Supplier.Key)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var a schema.Agreement
	r.json(t, &a)
	for _, p := range []*scenario.Party{s.Customer, s.Anbieter} {
		r = h.act(agreementPath(id, "approvals"), &schema.ApproveFeesMessage{Agreement: id, Party: p.ID, FeeVersion: 1, TermsHash: a.TermsHash, Replay: h.replay()}, p.Key)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	r = h.act(agreementPath(id, "order"), &schema.PlaceOrderMessage{Agreement: id, TermsHash: a.TermsHash, Replay: h.replay()}, s.Customer.Key)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r.json(t, &a)
	require.Equal(t, schema.AgreementConcluded, a.Status)
	require.Equal(t, s.Customer.Address(), a.Acts[0].Signer, "the signer is recovered from the signature")

	r = h.get(agreementPath(id, ""))
	require.Equal(t, http.StatusOK, r.status)
	r = h.get(agreementPath(id, "history"))
	require.Equal(t, http.StatusOK, r.status)
	var hist []schema.HistoryEntry
	r.json(t, &hist)
	require.Len(t, hist, 5)
	r = h.get(agreementPath(id, "endorsement-policy"))
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, `["DataportMSP"]`, string(r.body))
	r = h.get(agreementPath(id, "fees/1"))
	require.Equal(t, http.StatusOK, r.status)

	r = h.get("/v1/offerings/" + s.Offering.Offering)
	require.Equal(t, http.StatusOK, r.status)
	r = h.get("/v1/offerings/" + s.Offering.Offering + "/versions/1")
	require.Equal(t, http.StatusOK, r.status)
	r = h.get("/v1/offerings/" + s.Offering.Offering + "/price-models/1")
	require.Equal(t, http.StatusOK, r.status)
	r = h.get("/v1/parties/" + s.Customer.ID)
	require.Equal(t, http.StatusOK, r.status)

	// Termination.
	r = h.act(agreementPath(id, "termination"), &schema.TerminateMessage{Agreement: id, Party: s.Customer.ID,
		EndDate: time.Now().AddDate(0, 3, 0).Format(time.DateOnly), Reason: "Wechsel", Replay: h.replay()}, s.Customer.Key)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

func TestHTTPListingsPageWithOpaqueCursors(t *testing.T) { onEachBackend(t, testHTTPListings) }

func testHTTPListings(t *testing.T, h *harness) {
	s := h.scenario()
	var want []string
	for i := range 5 {
		id := h.id(fmt.Sprintf("list-%d", i))
		want = append(want, id)
		r := h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: id, Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}, s.Customer.Key)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	}
	var got []string
	cursor := ""
	pages := 0
	for {
		r := h.get("/v1/agreements?customer=" + s.Customer.ID + "&limit=2&cursor=" + cursor)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var page struct {
			Items      []schema.Agreement `json:"items"`
			NextCursor string             `json:"nextCursor"`
		}
		r.json(t, &page)
		for _, a := range page.Items {
			got = append(got, a.ID)
		}
		pages++
		if page.NextCursor == "" {
			break
		}
		require.NotContains(t, page.NextCursor, "\x00", "the cursor is opaque")
		cursor = page.NextCursor
	}
	require.Equal(t, want, got)
	require.Equal(t, 3, pages)

	r := h.get("/v1/offerings?supplier=" + s.Supplier.ID)
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, string(r.body), s.Offering.Offering)
	r = h.get("/v1/offerings/" + s.Offering.Offering + "/price-models?limit=10")
	require.Equal(t, http.StatusOK, r.status)
}

// Every rejection answers with the right status and a problem naming the
// field and the rule.
func TestHTTPRejections(t *testing.T) { onEachBackend(t, testHTTPRejections) }

func testHTTPRejections(t *testing.T, h *harness) {
	s := h.scenario()
	neg := h.id("neg")
	r := h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: neg, Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}, s.Customer.Key)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	outsider := h.register(schema.PartyRegistration{ID: h.id("stadt-aachen"), Kind: schema.KindKommune, Name: "Stadt Aachen", AGS: "05334002"})
	replayed := &schema.ExpressInterestMessage{Agreement: h.id("replay"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}
	require.Equal(t, http.StatusCreated, h.act("/v1/agreements", replayed, s.Customer.Key).status)

	interest := func(key *scenario.Party, mut func(*schema.ExpressInterestMessage)) func() response {
		return func() response {
			m := &schema.ExpressInterestMessage{Agreement: h.id("new"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}
			if mut != nil {
				mut(m)
			}
			return h.act("/v1/agreements", m, key.Key)
		}
	}
	party := func(mut func(*schema.PartyRegistration)) func() response {
		return func() response {
			reg := schema.PartyRegistration{ID: h.id("schwerin"), Kind: schema.KindKommune, Name: "Schwerin", AGS: "13004000", InHouse: []string{}}
			mut(&reg)
			return h.do(http.MethodPost, "/v1/parties", reg, member(), false)
		}
	}
	rawAct := func(path, body string) func() response {
		return func() response { return h.do(http.MethodPost, path, body, nil, true) }
	}
	tests := []struct {
		name   string
		run    func() response
		status int
		code   string
		field  string
	}{
		{"wrong signer", interest(s.Supplier, nil), 403, "forbidden", "signature"},
		{"malformed signature", func() response {
			m := &schema.ExpressInterestMessage{Agreement: h.id("new"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}
			msg, _ := json.Marshal(m)
			return h.do(http.MethodPost, "/v1/agreements", map[string]any{"message": json.RawMessage(msg), "signature": "0x1234"}, nil, true)
		}, 401, "unauthorized", "signature"},
		{"replayed nonce", func() response { return h.act("/v1/agreements", replayed, s.Customer.Key) }, 409, "conflict", "message.nonce"},
		{"passed deadline", interest(s.Customer, func(m *schema.ExpressInterestMessage) {
			m.Deadline = schema.Uint(time.Now().Add(-time.Hour).Unix())
		}), 400, "invalid", "message.deadline"},
		{"no in-house relationship", func() response {
			return h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: h.id("new"), Offering: s.Offering.Offering, Customer: outsider.ID, Replay: h.replay()}, outsider.Key)
		}, 403, "forbidden", "message.customer"},
		{"order before approval", func() response {
			return h.act(agreementPath(neg, "order"), &schema.PlaceOrderMessage{Agreement: neg, TermsHash: schema.ZeroHash, Replay: h.replay()}, s.Customer.Key)
		}, 409, "conflict", "message.agreement"},
		{"rewriting price-model version 1", func() response {
			return h.act("/v1/offerings/"+s.Offering.Offering+"/price-models", s.SamplePriceModel(1, schema.ZeroHash), s.Supplier.Key)
		}, 409, "conflict", "message.version"},
		{"unknown Themenfeld", func() response {
			m := s.Bauantrag(1)
			m.Offering, m.Themenfeld = h.id("other"), "Bauen und Wohnen"
			return h.act("/v1/offerings", m, s.Supplier.Key)
		}, 400, "invalid", "message.themenfeld"},
		{"malformed LeiKa key", func() response {
			m := s.Bauantrag(1)
			m.Offering, m.LeiKaKeys = h.id("other"), []string{"123"}
			return h.act("/v1/offerings", m, s.Supplier.Key)
		}, 400, "invalid", "message.leikaKeys[0]"},
		{"message for another agreement than the path", func() response {
			return h.act(agreementPath(neg, "order"), &schema.PlaceOrderMessage{Agreement: h.id("other"), TermsHash: schema.ZeroHash, Replay: h.replay()}, s.Customer.Key)
		}, 400, "invalid", "message.agreement"},
		{"unknown field in the body", rawAct("/v1/agreements", `{"message":{},"signature":"0x00","signer":"0xabc"}`), 400, "invalid", "body"},
		{"message missing", rawAct("/v1/agreements", `{"signature":"0x00"}`), 400, "invalid", "message"},
		{"body not JSON", rawAct("/v1/agreements", `not json`), 400, "invalid", "body"},
		{"malformed ARS", party(func(r *schema.PartyRegistration) { r.ARS = "1300400000" }), 400, "invalid", "party.ars"},
		{"malformed AGS", party(func(r *schema.PartyRegistration) { r.AGS = "130040" }), 400, "invalid", "party.ags"},
		{"Leitweg-ID with wrong check digits", party(func(r *schema.PartyRegistration) { r.LeitwegID = "13004000-0001-00" }), 400, "invalid", "party.leitwegId"},
		{"registration without the member token", func() response {
			return h.do(http.MethodPost, "/v1/parties", schema.PartyRegistration{ID: h.id("x"), Kind: schema.KindBund, Name: "Bund", InHouse: []string{}}, nil, false)
		}, 401, "unauthorized", "Authorization"},
		{"registration with a wrong token", func() response {
			return h.do(http.MethodPost, "/v1/parties", schema.PartyRegistration{ID: h.id("x"), Kind: schema.KindBund, Name: "Bund", InHouse: []string{}},
				map[string]string{"Authorization": "Bearer guess"}, false)
		}, 403, "forbidden", "Authorization"},
		{"unknown agreement", func() response { return h.get(agreementPath(h.id("nope"), "")) }, 404, "not_found", "id"},
		{"limit out of range", func() response { return h.do(http.MethodGet, "/v1/agreements?limit=0", nil, nil, true) }, 400, "invalid", "limit"},
		{"cursor not issued here", func() response { return h.get("/v1/agreements?cursor=bm90LW91cnM") }, 400, "invalid", "cursor"},
		{"two filters", func() response { return h.get("/v1/agreements?customer=a&status=CONCLUDED") }, 400, "invalid", "status"},
		{"unknown route", func() response { return h.do(http.MethodGet, "/v1/nothing", nil, nil, true) }, 404, "not_found", ""},
		{"wrong method", func() response { return h.do(http.MethodDelete, "/v1/offerings", nil, nil, true) }, 405, "method_not_allowed", ""},
		{"body too large", rawAct("/v1/agreements", `{"message":"`+strings.Repeat("x", 2<<20)+`"}`), 413, "too_large", "body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run()
			require.Equal(t, tc.status, r.status, "%s", r.body)
			p := r.problem(t)
			require.Equal(t, tc.code, p.Code)
			require.Equal(t, tc.field, p.Field)
			require.NotEmpty(t, p.Rule)
			require.NotEmpty(t, p.RequestID)
			require.Equal(t, r.header.Get("X-Request-ID"), p.RequestID)
		})
	}
	// The refused acts wrote nothing.
	r = h.get(agreementPath(neg, ""))
	var a schema.Agreement
	r.json(t, &a)
	require.Equal(t, schema.AgreementInterest, a.Status)
	require.Equal(t, http.StatusNotFound, h.get(agreementPath(h.id("new"), "")).status)
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	h := newEmbedded(t, api.Config{})
	doc, err := h.api.OpenAPI()
	require.NoError(t, err)
	var documented [][2]string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, [2]string{method, path})
		}
	}
	routes := h.api.Routes()
	less := func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) }
	slices.SortFunc(documented, less)
	slices.SortFunc(routes, less)
	require.Equal(t, routes, documented, "every route is documented, every documented route exists")

	r := h.get("/openapi.json")
	require.Equal(t, http.StatusOK, r.status)
	var served map[string]any
	r.json(t, &served)
	require.Equal(t, "3.0.3", served["openapi"])
}
