package chaincode_test

import (
	"crypto/ecdsa"
	"fmt"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// Every rejection path of the workflow: each act is refused with the right
// code and field, and writes nothing.
func TestRejections(t *testing.T) { onEachLedger(t, testRejections) }

func testRejections(t *testing.T, e *env) {
	s := newScenario(t, e)
	a := s.interest("neg", "")
	a = s.fees(a.ID, 1, 1_000_000)
	concluded := s.conclude("done", "")

	// A key revoked by the customer itself, and a key valid only from tomorrow.
	revoked, future := newKey(t), newKey(t)
	e.addKeyAsMember(regioIT, s.customer.id, revoked, 0, 0)
	e.mustAct("RevokeKey", &chaincode.RevokeKeyMessage{Party: s.customer.id, Key: crypto.PubkeyToAddress(revoked.PublicKey).Hex(), Replay: e.replay()}, revoked)
	e.addKeyAsMember(regioIT, s.customer.id, future, time.Now().Add(24*time.Hour).Unix(), 0)
	// A customer without an in-house relationship with govdigital.
	aachen := chaincode.PartyRegistration{ID: e.id("stadt-aachen"), Kind: chaincode.KindKommune, Name: "Stadt Aachen", AGS: "05334002"}
	outsider := e.register(regioIT, aachen)

	interest := func(key *ecdsa.PrivateKey, mut func(*chaincode.ExpressInterestMessage)) func() (string, error) {
		return func() (string, error) {
			m := &chaincode.ExpressInterestMessage{Agreement: e.id("new"), Offering: s.offering.Offering, Customer: s.customer.id, Replay: e.replay()}
			if mut != nil {
				mut(m)
			}
			return e.act("ExpressInterest", m, key)
		}
	}
	approve := func(p party, mut func(*chaincode.ApproveFeesMessage)) func() (string, error) {
		return func() (string, error) {
			m := &chaincode.ApproveFeesMessage{Agreement: a.ID, Party: p.id, FeeVersion: chaincode.Uint(a.FeeVersion), TermsHash: a.TermsHash, Replay: e.replay()}
			if mut != nil {
				mut(m)
			}
			return e.act("ApproveFees", m, p.key)
		}
	}
	offering := func(mut func(*chaincode.SubmitOfferingMessage)) func() (string, error) {
		return func() (string, error) {
			m := bauantrag(e, 1)
			m.Offering = e.id("other-offering")
			mut(m)
			return e.act("SubmitOffering", m, s.supplier.key)
		}
	}
	register := func(mut func(*chaincode.PartyRegistration)) func() (string, error) {
		return func() (string, error) {
			r := chaincode.PartyRegistration{ID: e.id("stadt-schwerin"), Kind: chaincode.KindKommune, Name: "Landeshauptstadt Schwerin", AGS: "13004000", InHouse: []string{}}
			mut(&r)
			return e.submit(e.admin(dataport), "RegisterParty", jsonOf(t, r))
		}
	}
	replayed := &chaincode.ExpressInterestMessage{Agreement: e.id("replay"), Offering: s.offering.Offering, Customer: s.customer.id, Replay: e.replay()}
	e.mustAct("ExpressInterest", replayed, s.customer.key)

	tests := []struct {
		name  string
		run   func() (string, error)
		code  chaincode.Code
		field string
	}{
		// Signatures and keys.
		{"wrong signer: the supplier signs the customer's interest", interest(s.supplier.key, nil), chaincode.CodeForbidden, "signature"},
		{"unknown key", interest(newKey(t), nil), chaincode.CodeForbidden, "signature"},
		{"revoked key", interest(revoked, nil), chaincode.CodeForbidden, "signature"},
		{"key not valid yet", interest(future, nil), chaincode.CodeForbidden, "signature"},
		{"signature over other content", func() (string, error) {
			m := &chaincode.ExpressInterestMessage{Agreement: e.id("new"), Offering: s.offering.Offering, Customer: s.customer.id, Replay: e.replay()}
			sig := e.sign(m, s.customer.key)
			m.Agreement = "tampered"
			return e.submit(e.client, "ExpressInterest", jsonOf(t, m), sig)
		}, chaincode.CodeForbidden, "signature"},
		{"malformed signature", func() (string, error) {
			m := &chaincode.ExpressInterestMessage{Agreement: e.id("new"), Offering: s.offering.Offering, Customer: s.customer.id, Replay: e.replay()}
			return e.submit(e.client, "ExpressInterest", jsonOf(t, m), "0x1234")
		}, chaincode.CodeUnauthorized, "signature"},
		{"replayed nonce", func() (string, error) {
			return e.submit(e.client, "ExpressInterest", jsonOf(t, replayed), e.sign(replayed, s.customer.key))
		}, chaincode.CodeConflict, "message.nonce"},
		{"passed deadline", interest(s.customer.key, func(m *chaincode.ExpressInterestMessage) {
			m.Deadline = chaincode.Uint(time.Now().Add(-time.Minute).Unix())
		}), chaincode.CodeInvalid, "message.deadline"},
		{"unknown field in the message", func() (string, error) {
			return e.submit(e.client, "ExpressInterest", fmt.Sprintf(`{"agreement":"x","offering":%q,"customer":%q,"parentAgreement":"","nonce":"1","deadline":"9999999999","price":"0"}`, s.offering.Offering, s.customer.id), "0x00")
		}, chaincode.CodeInvalid, "message"},
		{"number out of range", func() (string, error) {
			return e.submit(e.client, "ExpressInterest", fmt.Sprintf(`{"agreement":"x","offering":%q,"customer":%q,"parentAgreement":"","nonce":"1","deadline":"-5"}`, s.offering.Offering, s.customer.id), "0x00")
		}, chaincode.CodeInvalid, "message"},

		// The in-house relationship (§108 GWB).
		{"no in-house relationship with the Anbieter", func() (string, error) {
			return e.act("ExpressInterest", &chaincode.ExpressInterestMessage{Agreement: e.id("new"), Offering: s.offering.Offering, Customer: outsider.id, Replay: e.replay()}, outsider.key)
		}, chaincode.CodeForbidden, "message.customer"},

		// Out-of-order transitions.
		{"order before approval", func() (string, error) {
			return e.act("PlaceOrder", &chaincode.PlaceOrderMessage{Agreement: a.ID, TermsHash: a.TermsHash, Replay: e.replay()}, s.customer.key)
		}, chaincode.CodeConflict, "message.agreement"},
		{"approval without entered fees", func() (string, error) {
			return e.act("ApproveFees", &chaincode.ApproveFeesMessage{Agreement: e.id("replay"), Party: s.customer.id, FeeVersion: 1, TermsHash: a.TermsHash, Replay: e.replay()}, s.customer.key)
		}, chaincode.CodeConflict, "message.agreement"},
		{"second order of a concluded agreement", func() (string, error) {
			return e.act("PlaceOrder", &chaincode.PlaceOrderMessage{Agreement: concluded.ID, TermsHash: concluded.TermsHash, Replay: e.replay()}, s.customer.key)
		}, chaincode.CodeConflict, "message.agreement"},
		{"interest in an existing agreement", interest(s.customer.key, func(m *chaincode.ExpressInterestMessage) { m.Agreement = a.ID }), chaincode.CodeConflict, "message.agreement"},
		{"accepting an offering twice", func() (string, error) {
			return e.act("AcceptOffering", &chaincode.AcceptOfferingMessage{Offering: s.offering.Offering, Version: s.offering.Version, OfferingHash: s.offering.Hash, Replay: e.replay()}, s.anbieter.key)
		}, chaincode.CodeConflict, "message.offering"},
		{"sub-agreement under an unconcluded parent", interest(s.customer.key, func(m *chaincode.ExpressInterestMessage) { m.ParentAgreement = a.ID }), chaincode.CodeConflict, "message.parentAgreement"},

		// Write-once records and signed terms.
		{"rewriting price-model version 1", func() (string, error) {
			m := samplePriceModel(e, 1, chaincode.ZeroHash)
			m.AnnualFee = 1
			return e.act("PublishPriceModel", m, s.supplier.key)
		}, chaincode.CodeConflict, "message.version"},
		{"price model with a wrong predecessor", func() (string, error) {
			return e.act("PublishPriceModel", samplePriceModel(e, 2, chaincode.ZeroHash), s.supplier.key)
		}, chaincode.CodeConflict, "message.predecessorHash"},
		{"rewriting fee version 1 (signed terms)", func() (string, error) {
			return e.act("EnterFees", &chaincode.EnterFeesMessage{Agreement: a.ID, FeeVersion: 1, PriceModelHash: s.priceModel.Hash, AnnualFee: 1, Replay: e.replay()}, s.supplier.key)
		}, chaincode.CodeConflict, "message.feeVersion"},
		{"approving other terms", approve(s.customer, func(m *chaincode.ApproveFeesMessage) { m.TermsHash = chaincode.ZeroHash }), chaincode.CodeConflict, "message.termsHash"},
		{"ordering other terms", func() (string, error) {
			b := s.interest("terms-check", "")
			b = s.fees(b.ID, 1, 5)
			s.approve(b, s.customer)
			s.approve(b, s.anbieter)
			return e.act("PlaceOrder", &chaincode.PlaceOrderMessage{Agreement: b.ID, TermsHash: a.TermsHash, Replay: e.replay()}, s.customer.key)
		}, chaincode.CodeConflict, "message.termsHash"},
		{"fees against an unknown price model", func() (string, error) {
			return e.act("EnterFees", &chaincode.EnterFeesMessage{Agreement: a.ID, FeeVersion: 2, PriceModelHash: chaincode.ZeroHash, Replay: e.replay()}, s.supplier.key)
		}, chaincode.CodeNotFound, "message.priceModelHash"},
		{"approval by the supplier", approve(s.supplier, nil), chaincode.CodeForbidden, "message.party"},

		// Identifiers and domain values.
		{"unknown Themenfeld", offering(func(m *chaincode.SubmitOfferingMessage) { m.Themenfeld = "Bauen und Wohnen" }), chaincode.CodeInvalid, "message.themenfeld"},
		{"malformed LeiKa key", offering(func(m *chaincode.SubmitOfferingMessage) { m.LeiKaKeys = []string{"9999"} }), chaincode.CodeInvalid, "message.leikaKeys[0]"},
		{"malformed OZG-ID", offering(func(m *chaincode.SubmitOfferingMessage) { m.OZGIDs = []string{"10255", "1O255"} }), chaincode.CodeInvalid, "message.ozgIds[1]"},
		{"unknown offering kind", offering(func(m *chaincode.SubmitOfferingMessage) { m.Kind = "app" }), chaincode.CodeInvalid, "message.kind"},
		{"malformed document hash", offering(func(m *chaincode.SubmitOfferingMessage) { m.DocumentHashes = []string{"0x12"} }), chaincode.CodeInvalid, "message.documentHashes[0]"},
		{"Anbieter that is no Anbieter", offering(func(m *chaincode.SubmitOfferingMessage) { m.Anbieter = s.customer.id }), chaincode.CodeInvalid, "message.anbieter"},
		{"new offering starting at version 2", offering(func(m *chaincode.SubmitOfferingMessage) { m.Version = 2 }), chaincode.CodeConflict, "message.version"},
		{"malformed ARS", register(func(r *chaincode.PartyRegistration) { r.ARS = "13004000000" }), chaincode.CodeInvalid, "party.ars"},
		{"ARS with an unknown Land code", register(func(r *chaincode.PartyRegistration) { r.ARS, r.AGS = "173150000000", "" }), chaincode.CodeInvalid, "party.ars"},
		{"malformed AGS", register(func(r *chaincode.PartyRegistration) { r.AGS = "1300400" }), chaincode.CodeInvalid, "party.ags"},
		{"ARS and AGS of different municipalities", register(func(r *chaincode.PartyRegistration) { r.ARS = "053150000000" }), chaincode.CodeInvalid, "party.ags"},
		{"Leitweg-ID with wrong check digits", register(func(r *chaincode.PartyRegistration) { r.LeitwegID = "13004000-0001-00" }), chaincode.CodeInvalid, "party.leitwegId"},
		{"Kommune without ARS or AGS", register(func(r *chaincode.PartyRegistration) { r.AGS = "" }), chaincode.CodeInvalid, "party.ars"},
		{"in-house relationship with a non-Anbieter", register(func(r *chaincode.PartyRegistration) { r.InHouse = []string{s.supplier.id} }), chaincode.CodeInvalid, "party.inHouse[0]"},
		{"unknown party kind", register(func(r *chaincode.PartyRegistration) { r.Kind = "Verein" }), chaincode.CodeInvalid, "party.kind"},
		{"registering an existing party", register(func(r *chaincode.PartyRegistration) { r.ID = s.customer.id }), chaincode.CodeConflict, "party.id"},

		// Member administration.
		{"registration by a client, not an admin", func() (string, error) {
			return e.submit(e.client, "RegisterParty", jsonOf(t, chaincode.PartyRegistration{ID: e.id("x"), Kind: chaincode.KindBund, Name: "Bund", InHouse: []string{}}))
		}, chaincode.CodeForbidden, "creator"},
		{"key added by a member that does not vouch for the party", func() (string, error) {
			k := newKey(t)
			m := &chaincode.AddKeyMessage{Party: s.customer.id, Key: crypto.PubkeyToAddress(k.PublicKey).Hex(), Replay: e.replay()}
			return e.submit(e.admin(dataport), "AddKeyAsMember", jsonOf(t, m), e.sign(m, k))
		}, chaincode.CodeForbidden, "creator"},
		{"key added without proof of possession", func() (string, error) {
			k := newKey(t)
			m := &chaincode.AddKeyMessage{Party: s.customer.id, Key: crypto.PubkeyToAddress(k.PublicKey).Hex(), Replay: e.replay()}
			return e.submit(e.client, "AddKey", jsonOf(t, m), e.sign(m, s.customer.key), e.sign(m, s.customer.key))
		}, chaincode.CodeForbidden, "proofOfPossession"},
		{"key of another party", func() (string, error) {
			m := &chaincode.AddKeyMessage{Party: s.customer.id, Key: s.supplier.address(), Replay: e.replay()}
			return e.submit(e.client, "AddKey", jsonOf(t, m), e.sign(m, s.customer.key), e.sign(m, s.supplier.key))
		}, chaincode.CodeConflict, "message.key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.height()
			_, err := tc.run()
			requireRefused(t, err, tc.code, tc.field)
			if tc.name != "ordering other terms" { // that case commits its own set-up first
				require.Equal(t, before, e.height(), "a refused act writes nothing")
			}
		})
	}

	// The records the refused acts aimed at are unchanged.
	got := decode[chaincode.Agreement](t, must(e.evaluate("GetAgreement", a.ID)))
	require.Equal(t, chaincode.AgreementFeesEntered, got.Status)
	require.Equal(t, a.TermsHash, got.TermsHash)
	require.False(t, got.ApprovedCustomer || got.ApprovedAnbieter)
	_, err := e.evaluate("GetAgreement", e.id("new"))
	requireRefused(t, err, chaincode.CodeNotFound, "id")
	pm := decode[chaincode.PriceModel](t, must(e.evaluate("GetPriceModel", s.offering.Offering, "1")))
	require.Equal(t, s.priceModel.Hash, pm.Hash)
}

// Keys are checked against the window valid at the transaction time: a key
// added with an expiry signs until then.
func TestKeyLifecycle(t *testing.T) { onEachLedger(t, testKeyLifecycle) }

func testKeyLifecycle(t *testing.T, e *env) {
	s := newScenario(t, e)
	second := newKey(t)
	// Adding a key needs a current key of the party and the new key's proof.
	m := &chaincode.AddKeyMessage{Party: s.customer.id, Key: crypto.PubkeyToAddress(second.PublicKey).Hex(), Replay: e.replay()}
	p := decode[chaincode.Party](t, must(e.submit(e.client, "AddKey", jsonOf(t, m), e.sign(m, s.customer.key), e.sign(m, second))))
	require.Len(t, p.Keys, 2)
	require.NotEmpty(t, p.Acts[0].ProofOfPossession)

	// The member revokes the first key (e.g. lost); the second still signs.
	_, err := e.submit(e.admin(regioIT), "RevokeKeyAsMember", jsonOf(t, &chaincode.RevokeKeyMessage{Party: s.customer.id, Key: s.customer.address(), Replay: e.replay()}))
	require.NoError(t, err)
	_, err = s.act("ExpressInterest", &chaincode.ExpressInterestMessage{Agreement: e.id("k1"), Offering: s.offering.Offering, Customer: s.customer.id, Replay: e.replay()}, s.customer.key)
	requireRefused(t, err, chaincode.CodeForbidden, "signature")
	e.mustAct("ExpressInterest", &chaincode.ExpressInterestMessage{Agreement: e.id("k1"), Offering: s.offering.Offering, Customer: s.customer.id, Replay: e.replay()}, second)

	// Revoking twice is refused.
	_, err = e.submit(e.admin(regioIT), "RevokeKeyAsMember", jsonOf(t, &chaincode.RevokeKeyMessage{Party: s.customer.id, Key: s.customer.address(), Replay: e.replay()}))
	requireRefused(t, err, chaincode.CodeConflict, "message.key")

	// A key with an expiry in the past cannot be added.
	late := newKey(t)
	lm := &chaincode.AddKeyMessage{Party: s.customer.id, Key: crypto.PubkeyToAddress(late.PublicKey).Hex(), ValidFrom: 1, ValidUntil: 2, Replay: e.replay()}
	_, err = e.submit(e.admin(regioIT), "AddKeyAsMember", jsonOf(t, lm), e.sign(lm, late))
	requireRefused(t, err, chaincode.CodeInvalid, "message.validUntil")
}
