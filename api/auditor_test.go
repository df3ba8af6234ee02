package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// eightActs concludes an agreement with 8 signed acts: interest, fees, two
// approvals, order, a fee change and its two approvals.
func (s *market) eightActs(id string) schema.Agreement {
	h := s.harness
	r := h.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: id, Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: h.replay()}, s.Customer.Key)
	require.Equal(h.t, http.StatusCreated, r.status, "%s", r.body)
	var a schema.Agreement
	for v := uint64(1); v <= 2; v++ {
		r = h.act(agreementPath(id, "fees"), &schema.EnterFeesMessage{Agreement: id, FeeVersion: schema.Uint(v), PriceModelHash: s.PriceModel.Hash,
			AnnualFee: schema.Uint(1_200_000 * v), ProRataFee: 100_000, ConnectionFee: 50_000, ScopeOfUse: "Bauaufsicht", Replay: h.replay()}, s.Supplier.Key)
		require.Equal(h.t, http.StatusCreated, r.status, "%s", r.body)
		r.json(h.t, &a)
		for _, p := range []*scenario.Party{s.Customer, s.Anbieter} {
			r = h.act(agreementPath(id, "approvals"), &schema.ApproveFeesMessage{Agreement: id, Party: p.ID, FeeVersion: schema.Uint(v), TermsHash: a.TermsHash, Replay: h.replay()}, p.Key)
			require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
		}
		if v == 1 {
			r = h.act(agreementPath(id, "order"), &schema.PlaceOrderMessage{Agreement: id, TermsHash: a.TermsHash, Replay: h.replay()}, s.Customer.Key)
			require.Equal(h.t, http.StatusOK, r.status, "%s", r.body)
		}
	}
	r = h.get(agreementPath(id, ""))
	r.json(h.t, &a)
	require.Len(h.t, a.Acts, 8)
	require.Equal(h.t, schema.AgreementConcluded, a.Status)
	return a
}

func TestAuditors(t *testing.T) { onEachBackend(t, testAuditors) }

func testAuditors(t *testing.T, h *harness) {
	s := h.scenario()
	a := s.eightActs(h.id("koeln-bauantrag"))

	// Signed terms: the terms in force, every signature with its signer, key
	// registration and ledger proof.
	r := h.get(agreementPath(a.ID, "terms"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var terms api.SignedTerms
	r.json(t, &terms)
	require.True(t, terms.Verified, "%+v", terms.Failures)
	require.Empty(t, terms.Failures)
	require.Contains(t, terms.Notice, "convenience")
	require.Equal(t, schema.Uint(2), terms.FeeVersion)
	require.Equal(t, a.EffectiveTerms, terms.TermsHash)
	require.Equal(t, schema.Uint(2_400_000), terms.Terms.AnnualFee)
	require.Equal(t, s.PriceModel.Hash, terms.Terms.PriceModelHash)
	signers := map[string]string{s.Customer.ID: s.Customer.Address(), s.Supplier.ID: s.Supplier.Address(), s.Anbieter.ID: s.Anbieter.Address()}
	onAgreement := 0
	for _, act := range terms.Acts {
		require.Equal(t, signers[act.Party], act.Recovered, "%+v", act)
		require.NotNil(t, act.Key)
		require.Equal(t, act.Recovered, act.Key.Address)
		require.NotEmpty(t, act.Key.AddedTx)
		require.Equal(t, "VALID", act.ValidationCode)
		require.NotEmpty(t, act.Endorsers)
		require.Positive(t, act.BlockNumber)
		require.Len(t, act.BlockHash, 64)
		require.NotEmpty(t, act.BlockSignedBy)
		if act.Record == "agreement" {
			require.Equal(t, a.Acts[onAgreement].TxID, act.TxID)
			require.Equal(t, a.Acts[onAgreement].Signature, act.Signature)
			onAgreement++
		}
	}
	require.Equal(t, 8, onAgreement)

	// The verification report.
	r = h.get(agreementPath(a.ID, "verification"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var report api.Verification
	r.json(t, &report)
	require.True(t, report.OK, "%+v", report.FirstFailure)
	require.NotEmpty(t, report.TrustedRoots)
	require.Greater(t, len(report.Items), 8*3)

	// The bundle, verified offline against the roots the auditor pins.
	r = h.get(agreementPath(a.ID, "proof"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Contains(t, r.header.Get("Content-Disposition"), a.ID+".proof.json")
	load := func() *proof.Bundle {
		b, err := proof.Read(bytes.NewReader(r.body))
		require.NoError(t, err)
		return b
	}
	offline, _ := proof.Verify(load(), h.trust)
	require.True(t, offline.OK, "%+v", offline.FirstFailure)

	// Tampered, the bundle fails and the report names what broke.
	for _, tc := range []struct {
		name    string
		check   proof.Check
		subject string
		tamper  func(b *proof.Bundle)
	}{
		{"one byte of a fee", "record written", "fee version 2", func(b *proof.Bundle) {
			b.Records.FeeVersions[1] = json.RawMessage(strings.Replace(string(b.Records.FeeVersions[1]), "2400000", "2400001", 1))
		}},
		{"a signature", "record written", "act 3 on agreement " + a.ID, func(b *proof.Bundle) {
			sig := a.Acts[2].Signature
			b.Records.AgreementActs[2] = json.RawMessage(strings.Replace(string(b.Records.AgreementActs[2]), sig, sig[:20]+"00"+sig[22:], 1))
		}},
		{"a block swapped for another", "", "block", func(b *proof.Bundle) {
			if b.Fabric != nil {
				n := len(b.Fabric.Blocks)
				b.Fabric.Blocks[n-1] = b.Fabric.Blocks[n-2]
				return
			}
			n := len(b.Embedded)
			b.Embedded[n-1], b.Embedded[n-2] = b.Embedded[n-2], b.Embedded[n-1]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := load()
			tc.tamper(b)
			report, _ := proof.Verify(b, h.trust)
			require.False(t, report.OK)
			require.NotNil(t, report.FirstFailure)
			if tc.check != "" {
				require.Equal(t, tc.check, report.FirstFailure.Check, "%+v", report.FirstFailure)
			}
			require.Contains(t, report.FirstFailure.Subject, tc.subject, "%+v", report.FirstFailure)
		})
	}

	for _, path := range []string{"terms", "verification", "proof"} {
		r = h.get(agreementPath(h.id("no-such-agreement"), path))
		require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
		require.Equal(t, "id", r.problem(t).Field)
	}
}
