package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// FuzzActBody posts arbitrary bodies to the act endpoints of an API over a
// real embedded ledger. Properties: no answer is a 5xx; every 4xx is an
// RFC 9457 problem (application/problem+json) that names a field. make
// test runs it for a few seconds.
func FuzzActBody(f *testing.F) {
	h := newEmbedded(f, api.Config{ActsPerSecond: 1e9, ActBurst: 1 << 30})
	s := h.scenario()
	paths := []string{"/v1/agreements", "/v1/agreements/" + h.id("fuzz") + "/fees", "/v1/offerings",
		"/v1/offerings/" + s.Offering.Offering + "/price-models", "/v1/parties/" + s.Customer.ID + "/keys"}
	seed := func(m schema.Message) []byte {
		act, err := schema.SignAct(h.channel, m, s.Customer.Key)
		require.NoError(f, err)
		req, err := act.Request()
		require.NoError(f, err)
		raw, err := json.Marshal(req)
		require.NoError(f, err)
		return raw
	}
	f.Add(uint8(0), seed(&schema.ExpressInterestMessage{Agreement: h.id("fuzz"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}))
	f.Add(uint8(1), seed(&schema.EnterFeesMessage{Agreement: h.id("fuzz"), FeeVersion: 1, PriceModelHash: s.PriceModel.Hash, AnnualFee: 1, Replay: h.replay()}))
	f.Add(uint8(2), seed(s.Bauantrag(2)))
	f.Add(uint8(3), seed(s.SamplePriceModel(2, s.PriceModel.Hash)))
	f.Add(uint8(4), []byte(`{"message":{"party":"x","key":"0x00","validFrom":"0","validUntil":"0","nonce":"1","deadline":"1"},"proofOfPossession":"0x00"}`))
	f.Add(uint8(0), []byte(`{"message":{"annualFee":-1},"signature":"0x"}`))
	f.Add(uint8(1), []byte(`{"message":null}`))
	f.Add(uint8(0), []byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		req := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.api.ServeHTTP(w, req)
		require.Less(t, w.Code, 500, "%s", w.Body)
		if w.Code < 400 {
			return
		}
		require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"), "%s", w.Body)
		var p api.Problem
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p), "%s", w.Body)
		require.Equal(t, w.Code, p.Status)
		require.NotEmpty(t, p.Field, "%s", w.Body)
		require.NotEmpty(t, p.Rule, "%s", w.Body)
	})
}
