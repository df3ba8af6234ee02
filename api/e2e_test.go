package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
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
	"github.com/ethereum/go-ethereum/crypto"
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
	require.Equal(t, s.Customer.Address(), a.Act.Signer, "the answer carries the act, its signer recovered from the signature")
	h.get(agreementPath(id, "")).json(t, &a)
	require.Equal(t, s.Customer.Address(), a.Acts[0].Signer, "the signer is recovered from the signature")

	r = h.get(agreementPath(id, ""))
	require.Equal(t, http.StatusOK, r.status)
	// The history pages like every list: newest first, with opaque cursors.
	var hist []schema.HistoryEntry
	for cursor, pages := "", 0; ; pages++ {
		require.Less(t, pages, 3, "5 changes in pages of 2")
		r = h.get(agreementPath(id, "history") + "?limit=2&cursor=" + cursor)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var page struct {
			Items      []schema.HistoryEntry `json:"items"`
			NextCursor string                `json:"nextCursor"`
		}
		r.json(t, &page)
		require.LessOrEqual(t, len(page.Items), 2)
		hist = append(hist, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	require.Len(t, hist, 5)
	require.Equal(t, a.Updated.TxID, hist[0].TxID, "newest first")
	require.Equal(t, http.StatusBadRequest, h.get(agreementPath(id, "history")+"?limit=1001").status)
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
	r = h.get("/v1/offerings?kind=ozg-service&supplier=" + s.Supplier.ID)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Contains(t, string(r.body), s.Offering.Offering)
	r = h.get("/v1/offerings?kind=cloud-service&supplier=" + s.Supplier.ID)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.NotContains(t, string(r.body), s.Offering.Offering)
	r = h.get("/v1/offerings/" + s.Offering.Offering + "/price-models?limit=10")
	require.Equal(t, http.StatusOK, r.status)

	// Statuses match in any case.
	upper, lower := h.get("/v1/offerings?status=PUBLISHED&limit=1000"), h.get("/v1/offerings?status=published&limit=1000")
	require.Equal(t, http.StatusOK, lower.status, "%s", lower.body)
	require.Equal(t, string(upper.body), string(lower.body))
	require.Contains(t, string(lower.body), s.Offering.Offering)
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
	signedWith := func(sig string) func() response {
		return func() response {
			m := &schema.ExpressInterestMessage{Agreement: h.id("new"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}
			msg, _ := json.Marshal(m)
			return h.do(http.MethodPost, "/v1/agreements", map[string]any{"message": json.RawMessage(msg), "signature": sig}, nil, true)
		}
	}
	// fee posts an EnterFees act whose annualFee is the raw JSON value given.
	fee := func(annual string) func() response {
		return func() response {
			m := &schema.EnterFeesMessage{Agreement: neg, FeeVersion: 1, PriceModelHash: s.PriceModel.Hash, Replay: h.replay()}
			msg, err := json.Marshal(m)
			require.NoError(t, err)
			msg = []byte(strings.Replace(string(msg), `"annualFee":"0"`, `"annualFee":`+annual, 1))
			sig, err := schema.Sign(h.channel, m, s.Supplier.Key)
			require.NoError(t, err)
			return h.do(http.MethodPost, agreementPath(neg, "fees"), map[string]any{"message": json.RawMessage(msg), "signature": sig}, nil, true)
		}
	}
	tests := []struct {
		name   string
		run    func() response
		status int
		code   string
		field  string
	}{
		{"wrong signer", interest(s.Supplier, nil), 403, "forbidden", "signature"},
		{"malformed signature", signedWith("0x1234"), 400, "invalid", "signature"},
		{"signature not hex", signedWith("0x" + strings.Repeat("zz", 65)), 400, "invalid", "signature"},
		{"signature all zeros", signedWith("0x" + strings.Repeat("00", 65)), 400, "invalid", "signature"},
		{"signature with a bad v", signedWith("0x" + strings.Repeat("11", 64) + "1d"), 400, "invalid", "signature"},
		{"signature that recovers to no key", signedWith(unrecoverable(t)), 403, "forbidden", "signature"},
		{"a negative fee", fee(`"-1"`), 400, "invalid", "message.annualFee"},
		{"a fractional fee", fee(`1.5`), 400, "invalid", "message.annualFee"},
		{"a fee of 2^64", fee(`"18446744073709551616"`), 400, "invalid", "message.annualFee"},
		{"a fee of 2^63 cents", fee(`"9223372036854775808"`), 400, "invalid", "message.annualFee"},
		{"a deadline of 2^63", interest(s.Customer, func(m *schema.ExpressInterestMessage) { m.Deadline = 1 << 63 }), 400, "invalid", "message.deadline"},
		{"a missing field", rawAct("/v1/agreements", `{"message":{"agreement":"x","offering":"o","parentAgreement":"","nonce":"1","deadline":"4102444800"},"signature":"0x00"}`),
			400, "invalid", "message.customer"},
		{"a nonce that is no number", rawAct("/v1/agreements", `{"message":{"agreement":"x","offering":"o","customer":"c","parentAgreement":"","nonce":1.5,"deadline":"4102444800"},"signature":"0x00"}`),
			400, "invalid", "message.nonce"},
		{"a used nonce under another message", func() response {
			other := *replayed
			other.Agreement = h.id("replay-other")
			return h.act("/v1/agreements", &other, s.Customer.Key)
		}, 409, "conflict", "message.nonce"},
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
		{"unknown field in the body", rawAct("/v1/agreements", `{"message":{},"signature":"0x00","signer":"0xabc"}`), 400, "invalid", "signer"},
		{"message missing", rawAct("/v1/agreements", `{"signature":"0x00"}`), 400, "invalid", "message"},
		{"body not JSON", rawAct("/v1/agreements", `not json`), 400, "invalid", "body"},
		{"malformed ARS", party(func(r *schema.PartyRegistration) { r.ARS = "1300400000" }), 400, "invalid", "ars"},
		{"malformed AGS", party(func(r *schema.PartyRegistration) { r.AGS = "130040" }), 400, "invalid", "ags"},
		{"Leitweg-ID with wrong check digits", party(func(r *schema.PartyRegistration) { r.LeitwegID = "13004000-0001-00" }), 400, "invalid", "leitwegId"},
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
		{"an unknown status", func() response { return h.get("/v1/agreements?status=BOGUS") }, 400, "invalid", "status"},
		{"an unknown Themenfeld", func() response { return h.get("/v1/offerings?themenfeld=Sport") }, 400, "invalid", "themenfeld"},
		{"an unknown kind of offering", func() response { return h.get("/v1/offerings?kind=app") }, 400, "invalid", "kind"},
		{"a malformed supplier id", func() response { return h.get("/v1/offerings?supplier=Not%20an%20id") }, 400, "invalid", "supplier"},
		{"a malformed customer id", func() response { return h.get("/v1/agreements?customer=K%C3%B6ln") }, 400, "invalid", "customer"},
		{"a malformed LeiKa key", func() response { return h.get("/v1/offerings?leika=123") }, 400, "invalid", "leika"},
		{"a history cursor of another record", func() response {
			return h.get(agreementPath(neg, "history") + "?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("no-such-tx")))
		}, 400, "invalid", "cursor"},
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
			require.NotRegexp(t, `Message\b|Replay|schema\.|Uint|uint64|json:`, p.Rule, "the rule speaks to a person, without Go names")
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

// unrecoverable is a well-formed signature from which no public key
// recovers: its r is no x coordinate of a point on secp256k1.
func unrecoverable(t testing.TB) string {
	t.Helper()
	digest := crypto.Keccak256([]byte("any digest"))
	for x := byte(1); x < 255; x++ {
		sig := make([]byte, 65)
		sig[31], sig[63] = x, 1
		if _, err := crypto.SigToPub(digest, sig); err != nil {
			sig[64] = 27
			return "0x" + hex.EncodeToString(sig)
		}
	}
	t.Fatal("every r recovers a key")
	return ""
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

// An act sent again — the identical message and signature, as a portal
// does after a lost answer — returns the original receipt; a different
// message under the used nonce stays a conflict.
func TestIdempotentActs(t *testing.T) { onEachBackend(t, testIdempotentActs) }

func testIdempotentActs(t *testing.T, h *harness) {
	s := h.scenario()
	id := h.id("again")
	interest := &schema.ExpressInterestMessage{Agreement: id, Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}
	act, err := schema.SignAct(h.channel, interest, s.Customer.Key)
	require.NoError(t, err)
	body, err := act.Request()
	require.NoError(t, err)

	first := h.do(http.MethodPost, "/v1/agreements", body, nil, false)
	require.Equal(t, http.StatusCreated, first.status, "%s", first.body)
	require.Empty(t, first.header.Get("Idempotent-Replay"))
	var original struct {
		api.Stamped
		schema.Agreement
	}
	first.json(t, &original)

	// The agreement moves on; the interest sent again still answers as
	// its first commit did.
	fees := &schema.EnterFeesMessage{Agreement: id, FeeVersion: 1, PriceModelHash: s.PriceModel.Hash, AnnualFee: 1, Replay: h.replay()}
	require.Equal(t, http.StatusCreated, h.act(agreementPath(id, "fees"), fees, s.Supplier.Key).status)
	for range 2 {
		again := h.do(http.MethodPost, "/v1/agreements", body, nil, false)
		require.Equal(t, http.StatusOK, again.status, "%s", again.body)
		require.Equal(t, "true", again.header.Get("Idempotent-Replay"))
		var replayed struct {
			api.Stamped
			schema.Agreement
		}
		again.json(t, &replayed)
		require.Equal(t, original.TxID, replayed.TxID)
		require.Equal(t, original.BlockNumber, replayed.BlockNumber)
		require.Equal(t, schema.AgreementInterest, replayed.Status, "the record as the first commit wrote it")
	}

	// Another message under the same nonce is refused.
	other := *interest
	other.Agreement = h.id("again-other")
	r := h.act("/v1/agreements", &other, s.Customer.Key)
	require.Equal(t, http.StatusConflict, r.status, "%s", r.body)
	require.Equal(t, "message.nonce", r.problem(t).Field)

	// A key registered on the member's authority, sent again.
	_, add, err := schema.NewPartyKey(h.channel, s.Customer.ID, h.replay())
	require.NoError(t, err)
	req, err := add.Request()
	require.NoError(t, err)
	path := "/v1/parties/" + s.Customer.ID + "/keys"
	firstKey := h.do(http.MethodPost, path, req, member(), false)
	require.Equal(t, http.StatusCreated, firstKey.status, "%s", firstKey.body)
	againKey := h.do(http.MethodPost, path, req, member(), false)
	require.Equal(t, http.StatusOK, againKey.status, "%s", againKey.body)
	require.Equal(t, "true", againKey.header.Get("Idempotent-Replay"))
	var k1, k2 api.Stamped
	firstKey.json(t, &k1)
	againKey.json(t, &k2)
	require.Equal(t, k1, k2)
}

// Every uint64 travels as a decimal string, in records and receipts alike:
// a JavaScript portal reads proRataFee 9007199254740993 exactly. The only
// JSON numbers left are small counts (a transaction's index in its block,
// a problem's status), and the document states no maximum beyond 2^53.
func TestEveryUint64IsADecimalString(t *testing.T) { onEachBackend(t, testEveryUint64IsADecimalString) }

func testEveryUint64IsADecimalString(t *testing.T, h *harness) {
	s := h.scenario()
	d := s.Deal("strings", "")
	ctx := t.Context()
	require.NoError(t, d.Interest(ctx))
	precise := schema.Fees{AnnualFee: schema.MaxCents, ProRataFee: 999_999_999_999, ConnectionFee: 1}
	require.NoError(t, d.EnterFees(ctx, precise))

	var numbers []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(path+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		case json.Number:
			numbers = append(numbers, path+"="+v.String())
		}
	}
	for _, path := range []string{
		agreementPath(d.ID, ""), agreementPath(d.ID, "fees/1"), agreementPath(d.ID, "terms"), agreementPath(d.ID, "history"),
		"/v1/parties/" + s.Customer.ID, "/v1/offerings/" + s.Offering.Offering, "/v1/offerings/" + s.Offering.Offering + "/price-models/1",
		"/v1/agreements?customer=" + s.Customer.ID, "/readyz",
	} {
		r := h.get(path)
		require.Equal(t, http.StatusOK, r.status, "%s %s", path, r.body)
		dec := json.NewDecoder(bytes.NewReader(r.body))
		dec.UseNumber()
		var v any
		require.NoError(t, dec.Decode(&v))
		walk(path, v)
	}
	for _, n := range numbers {
		require.Regexp(t, `\.txIndex=[0-9]{1,6}$`, n, "only small counts are JSON numbers")
	}
	var fv schema.FeeVersion
	h.get(agreementPath(d.ID, "fees/1")).json(t, &fv)
	require.Equal(t, precise.AnnualFee, fv.Fees.AnnualFee)
	require.Contains(t, string(h.get(agreementPath(d.ID, "fees/1")).body), `"proRataFee":"999999999999"`)

	doc := h.get("/openapi.json")
	var maxima []string
	dec := json.NewDecoder(bytes.NewReader(doc.body))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	var find func(path string, v any)
	find = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if n, ok := x.(json.Number); ok && k == "maximum" {
					if f, err := n.Float64(); err != nil || f > 1<<53 {
						maxima = append(maxima, path+"="+n.String())
					}
				}
				find(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				find(path, x)
			}
		}
	}
	find("", v)
	require.Empty(t, maxima, "no maximum beyond 2^53 (a uint64 is a decimal string)")
}

// An in-house update that changes nothing writes no transaction.
func TestInHouseUpdateThatChangesNothing(t *testing.T) {
	onEachBackend(t, testInHouseUpdateThatChangesNothing)
}

func testInHouseUpdateThatChangesNothing(t *testing.T, h *harness) {
	s := h.scenario()
	path := "/v1/parties/" + s.Customer.ID + "/in-house"
	var before schema.Party
	h.get("/v1/parties/"+s.Customer.ID).json(t, &before)
	height := func() schema.Uint {
		var health api.Health
		h.get("/readyz").json(t, &health)
		return health.Height
	}
	at := height()
	r := h.do(http.MethodPut, path, before.InHouse, member(), false)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var stamp api.Stamped
	r.json(t, &stamp)
	require.Equal(t, before.Updated.TxID, stamp.TxID, "the answer names the party's last change")
	require.Equal(t, at, height(), "no transaction")

	// A real change is a transaction.
	r = h.do(http.MethodPut, path, []string{}, member(), false)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r.json(t, &stamp)
	require.NotEqual(t, before.Updated.TxID, stamp.TxID)
	require.Greater(t, height(), at)
}
