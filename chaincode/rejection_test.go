package chaincode_test

import (
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// Every rejection path of the workflow: each act is refused with the right
// code and field, and writes nothing.
func TestRejections(t *testing.T) { onEachLedger(t, testRejections) }

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

func testRejections(t *testing.T, e *env) {
	ctx := t.Context()
	s := e.marketplace()
	neg := s.Deal("neg", "")
	require.NoError(t, neg.Until(ctx, schema.AgreementFeesEntered, fees(1_000_000), ""))
	a := neg.Agreement
	done := s.Deal("done", "")
	require.NoError(t, done.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
	concluded := done.Agreement

	// A key revoked by the customer itself, and a key valid only from tomorrow.
	revoked, future := newKey(t), newKey(t)
	e.addKey(s.Customer, revoked, 0, 0)
	e.mustAct(&schema.RevokeKeyMessage{Party: s.Customer.ID, Key: crypto.PubkeyToAddress(revoked.PublicKey).Hex(), Replay: e.b.Replay()}, revoked)
	e.addKey(s.Customer, future, time.Now().Add(24*time.Hour).Unix(), 0)
	// A customer without an in-house relationship with govdigital.
	aachen := schema.PartyRegistration{ID: e.b.ID("stadt-aachen"), Kind: schema.KindKommune, Name: "Stadt Aachen", AGS: "05334002"}
	outsider := e.party(scenario.RegioIT, aachen)

	interest := func(key *ecdsa.PrivateKey, mut func(*schema.ExpressInterestMessage)) func() (*client.Result, error) {
		return func() (*client.Result, error) {
			m := &schema.ExpressInterestMessage{Agreement: e.b.ID("new"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: e.b.Replay()}
			if mut != nil {
				mut(m)
			}
			return e.act(m, key)
		}
	}
	signedWith := func(sig string) func() (*client.Result, error) {
		return func() (*client.Result, error) {
			m := &schema.ExpressInterestMessage{Agreement: e.b.ID("new"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: e.b.Replay()}
			return e.client.Act(ctx, &schema.Act{Message: m, Signature: sig})
		}
	}
	approve := func(p *scenario.Party, mut func(*schema.ApproveFeesMessage)) func() (*client.Result, error) {
		return func() (*client.Result, error) {
			m := &schema.ApproveFeesMessage{Agreement: a.ID, Party: p.ID, FeeVersion: schema.Uint(a.FeeVersion), TermsHash: a.TermsHash, Replay: e.b.Replay()}
			if mut != nil {
				mut(m)
			}
			return e.act(m, p.Key)
		}
	}
	offering := func(mut func(*schema.SubmitOfferingMessage)) func() (*client.Result, error) {
		return func() (*client.Result, error) {
			m := e.b.Bauantrag(1)
			m.Offering = e.b.ID("other-offering")
			mut(m)
			return e.act(m, s.Supplier.Key)
		}
	}
	register := func(mut func(*schema.PartyRegistration)) func() (*client.Result, error) {
		return func() (*client.Result, error) {
			r := schema.PartyRegistration{ID: e.b.ID("stadt-schwerin"), Kind: schema.KindKommune, Name: "Landeshauptstadt Schwerin", AGS: "13004000", InHouse: []string{}}
			mut(&r)
			return e.admin(scenario.Dataport).RegisterParty(ctx, r)
		}
	}
	// raw submits an ExpressInterest message as JSON text, with a dummy
	// signature: a message no wallet would sign.
	raw := func(message string) func() (*client.Result, error) {
		return func() (*client.Result, error) {
			return e.client.Submit(ctx, schema.TypeExpressInterest, message, "0x00")
		}
	}
	replayed := &schema.ExpressInterestMessage{Agreement: e.b.ID("replay"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: e.b.Replay()}
	e.mustAct(replayed, s.Customer.Key)

	tests := []struct {
		name  string
		run   func() (*client.Result, error)
		code  schema.Code
		field string
	}{
		// Signatures and keys.
		{"wrong signer: the supplier signs the customer's interest", interest(s.Supplier.Key, nil), schema.CodeForbidden, "signature"},
		{"unknown key", interest(newKey(t), nil), schema.CodeForbidden, "signature"},
		{"revoked key", interest(revoked, nil), schema.CodeForbidden, "signature"},
		{"key not valid yet", interest(future, nil), schema.CodeForbidden, "signature"},
		{"signature over other content", func() (*client.Result, error) {
			m := &schema.ExpressInterestMessage{Agreement: e.b.ID("new"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: e.b.Replay()}
			act := e.signed(m, s.Customer.Key)
			m.Agreement = "tampered"
			return e.client.Act(ctx, act)
		}, schema.CodeForbidden, "signature"},
		{"malformed signature", signedWith("0x1234"), schema.CodeInvalid, "signature"},
		{"signature not hex", signedWith("0x" + strings.Repeat("zz", 65)), schema.CodeInvalid, "signature"},
		{"signature all zeros", signedWith("0x" + strings.Repeat("00", 65)), schema.CodeInvalid, "signature"},
		{"signature with a bad v", signedWith("0x" + strings.Repeat("11", 64) + "1d"), schema.CodeInvalid, "signature"},
		{"signature that recovers to no key", signedWith(unrecoverable(t)), schema.CodeForbidden, "signature"},
		{"a used nonce under another message", func() (*client.Result, error) {
			other := *replayed
			other.Agreement = e.b.ID("replay-other")
			return e.act(&other, s.Customer.Key)
		}, schema.CodeConflict, "message.nonce"},
		{"passed deadline", interest(s.Customer.Key, func(m *schema.ExpressInterestMessage) {
			m.Deadline = schema.Uint(time.Now().Add(-time.Minute).Unix())
		}), schema.CodeInvalid, "message.deadline"},
		{"unknown field in the message", raw(fmt.Sprintf(`{"agreement":"x","offering":%q,"customer":%q,"parentAgreement":"","nonce":"1","deadline":"9999999999","price":"0"}`, s.Offering.Offering, s.Customer.ID)),
			schema.CodeInvalid, "message.price"},
		{"number out of range", raw(fmt.Sprintf(`{"agreement":"x","offering":%q,"customer":%q,"parentAgreement":"","nonce":"1","deadline":"-5"}`, s.Offering.Offering, s.Customer.ID)),
			schema.CodeInvalid, "message.deadline"},
		{"a missing field is named, not taken for zero", raw(fmt.Sprintf(`{"agreement":"x","offering":%q,"parentAgreement":"","nonce":"1","deadline":"9999999999"}`, s.Offering.Offering)),
			schema.CodeInvalid, "message.customer"},
		{"a deadline beyond 9999", interest(s.Customer.Key, func(m *schema.ExpressInterestMessage) { m.Deadline = 1 << 63 }), schema.CodeInvalid, "message.deadline"},
		{"a fee of 2^63 cents", func() (*client.Result, error) {
			m := neg.EnterFeesMessage(fees(1 << 63))
			return e.act(m, s.Supplier.Key)
		}, schema.CodeInvalid, "message.annualFee"},
		{"a fee above the bound of money", func() (*client.Result, error) {
			return e.act(neg.EnterFeesMessage(fees(schema.MaxCents+1)), s.Supplier.Key)
		}, schema.CodeInvalid, "message.annualFee"},

		// The in-house relationship (§108 GWB).
		{"no in-house relationship with the Anbieter", func() (*client.Result, error) {
			return e.act(&schema.ExpressInterestMessage{Agreement: e.b.ID("new"), Offering: s.Offering.Offering, Customer: outsider.ID, Replay: e.b.Replay()}, outsider.Key)
		}, schema.CodeForbidden, "message.customer"},

		// Out-of-order transitions.
		{"order before approval", func() (*client.Result, error) {
			return e.act(&schema.PlaceOrderMessage{Agreement: a.ID, TermsHash: a.TermsHash, Replay: e.b.Replay()}, s.Customer.Key)
		}, schema.CodeConflict, "message.agreement"},
		{"approval without entered fees", func() (*client.Result, error) {
			return e.act(&schema.ApproveFeesMessage{Agreement: e.b.ID("replay"), Party: s.Customer.ID, FeeVersion: 1, TermsHash: a.TermsHash, Replay: e.b.Replay()}, s.Customer.Key)
		}, schema.CodeConflict, "message.agreement"},
		{"second order of a concluded agreement", func() (*client.Result, error) {
			return e.act(&schema.PlaceOrderMessage{Agreement: concluded.ID, TermsHash: concluded.TermsHash, Replay: e.b.Replay()}, s.Customer.Key)
		}, schema.CodeConflict, "message.agreement"},
		{"interest in an existing agreement", interest(s.Customer.Key, func(m *schema.ExpressInterestMessage) { m.Agreement = a.ID }), schema.CodeConflict, "message.agreement"},
		{"accepting an offering twice", func() (*client.Result, error) {
			return e.act(&schema.AcceptOfferingMessage{Offering: s.Offering.Offering, Version: s.Offering.Version, OfferingHash: s.Offering.Hash, Replay: e.b.Replay()}, s.Anbieter.Key)
		}, schema.CodeConflict, "message.offering"},
		{"sub-agreement under an unconcluded parent", interest(s.Customer.Key, func(m *schema.ExpressInterestMessage) { m.ParentAgreement = a.ID }), schema.CodeConflict, "message.parentAgreement"},

		// Write-once records and signed terms.
		{"rewriting price-model version 1", func() (*client.Result, error) {
			m := e.b.SamplePriceModel(1, schema.ZeroHash)
			m.AnnualFee = 1
			return e.act(m, s.Supplier.Key)
		}, schema.CodeConflict, "message.version"},
		{"price model with a wrong predecessor", func() (*client.Result, error) {
			return e.act(e.b.SamplePriceModel(2, schema.ZeroHash), s.Supplier.Key)
		}, schema.CodeConflict, "message.predecessorHash"},
		{"rewriting fee version 1 (signed terms)", func() (*client.Result, error) {
			return e.act(&schema.EnterFeesMessage{Agreement: a.ID, FeeVersion: 1, PriceModelHash: s.PriceModel.Hash, AnnualFee: 1, Replay: e.b.Replay()}, s.Supplier.Key)
		}, schema.CodeConflict, "message.feeVersion"},
		{"approving other terms", approve(s.Customer, func(m *schema.ApproveFeesMessage) { m.TermsHash = schema.ZeroHash }), schema.CodeConflict, "message.termsHash"},
		{"ordering other terms", func() (*client.Result, error) {
			b := s.Deal("terms-check", "")
			if err := b.Until(ctx, schema.AgreementApproved, fees(5), ""); err != nil {
				return nil, err
			}
			return e.act(&schema.PlaceOrderMessage{Agreement: b.ID, TermsHash: a.TermsHash, Replay: e.b.Replay()}, s.Customer.Key)
		}, schema.CodeConflict, "message.termsHash"},
		{"fees against an unknown price model", func() (*client.Result, error) {
			return e.act(&schema.EnterFeesMessage{Agreement: a.ID, FeeVersion: 2, PriceModelHash: schema.ZeroHash, Replay: e.b.Replay()}, s.Supplier.Key)
		}, schema.CodeNotFound, "message.priceModelHash"},
		{"approval by the supplier", approve(s.Supplier, nil), schema.CodeForbidden, "message.party"},

		// Identifiers and domain values.
		{"unknown Themenfeld", offering(func(m *schema.SubmitOfferingMessage) { m.Themenfeld = "Bauen und Wohnen" }), schema.CodeInvalid, "message.themenfeld"},
		{"malformed LeiKa key", offering(func(m *schema.SubmitOfferingMessage) { m.LeiKaKeys = []string{"9999"} }), schema.CodeInvalid, "message.leikaKeys[0]"},
		{"malformed OZG-ID", offering(func(m *schema.SubmitOfferingMessage) { m.OZGIDs = []string{"10255", "1O255"} }), schema.CodeInvalid, "message.ozgIds[1]"},
		{"unknown offering kind", offering(func(m *schema.SubmitOfferingMessage) { m.Kind = "app" }), schema.CodeInvalid, "message.kind"},
		{"malformed document hash", offering(func(m *schema.SubmitOfferingMessage) { m.DocumentHashes = []string{"0x12"} }), schema.CodeInvalid, "message.documentHashes[0]"},
		{"Anbieter that is no Anbieter", offering(func(m *schema.SubmitOfferingMessage) { m.Anbieter = s.Customer.ID }), schema.CodeInvalid, "message.anbieter"},
		{"new offering starting at version 2", offering(func(m *schema.SubmitOfferingMessage) { m.Version = 2 }), schema.CodeConflict, "message.version"},
		{"malformed ARS", register(func(r *schema.PartyRegistration) { r.ARS = "13004000000" }), schema.CodeInvalid, "ars"},
		{"ARS with an unknown Land code", register(func(r *schema.PartyRegistration) { r.ARS, r.AGS = "173150000000", "" }), schema.CodeInvalid, "ars"},
		{"malformed AGS", register(func(r *schema.PartyRegistration) { r.AGS = "1300400" }), schema.CodeInvalid, "ags"},
		{"ARS and AGS of different municipalities", register(func(r *schema.PartyRegistration) { r.ARS = "053150000000" }), schema.CodeInvalid, "ags"},
		{"Leitweg-ID with wrong check digits", register(func(r *schema.PartyRegistration) { r.LeitwegID = "13004000-0001-00" }), schema.CodeInvalid, "leitwegId"},
		{"Kommune without ARS or AGS", register(func(r *schema.PartyRegistration) { r.AGS = "" }), schema.CodeInvalid, "ars"},
		{"in-house relationship with a non-Anbieter", register(func(r *schema.PartyRegistration) { r.InHouse = []string{s.Supplier.ID} }), schema.CodeInvalid, "inHouse[0]"},
		{"unknown party kind", register(func(r *schema.PartyRegistration) { r.Kind = "Verein" }), schema.CodeInvalid, "kind"},
		{"registering an existing party", register(func(r *schema.PartyRegistration) { r.ID = s.Customer.ID }), schema.CodeConflict, "id"},

		// Member administration.
		{"registration by a client, not an admin", func() (*client.Result, error) {
			return e.client.RegisterParty(ctx, schema.PartyRegistration{ID: e.b.ID("x"), Kind: schema.KindBund, Name: "Bund", InHouse: []string{}})
		}, schema.CodeForbidden, "creator"},
		{"key added by a member that does not vouch for the party", func() (*client.Result, error) {
			k := newKey(t)
			m := &schema.AddKeyMessage{Party: s.Customer.ID, Key: crypto.PubkeyToAddress(k.PublicKey).Hex(), Replay: e.b.Replay()}
			return e.admin(scenario.Dataport).Act(ctx, e.byMember(m, e.signature(m, k)))
		}, schema.CodeForbidden, "creator"},
		{"key added without proof of possession", func() (*client.Result, error) {
			k := newKey(t)
			m := &schema.AddKeyMessage{Party: s.Customer.ID, Key: crypto.PubkeyToAddress(k.PublicKey).Hex(), Replay: e.b.Replay()}
			act := e.signed(m, s.Customer.Key)
			act.ProofOfPossession = e.signature(m, s.Customer.Key)
			return e.client.Act(ctx, act)
		}, schema.CodeForbidden, "proofOfPossession"},
		{"key of another party", func() (*client.Result, error) {
			m := &schema.AddKeyMessage{Party: s.Customer.ID, Key: s.Supplier.Address(), Replay: e.b.Replay()}
			act := e.signed(m, s.Customer.Key)
			act.ProofOfPossession = e.signature(m, s.Supplier.Key)
			return e.client.Act(ctx, act)
		}, schema.CodeConflict, "message.key"},
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
	got, err := e.client.Agreement(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, schema.AgreementFeesEntered, got.Status)
	require.Equal(t, a.TermsHash, got.TermsHash)
	require.False(t, got.ApprovedCustomer || got.ApprovedAnbieter)
	_, err = e.client.Agreement(ctx, e.b.ID("new"))
	requireRefused(t, err, schema.CodeNotFound, "id")
	pm, err := e.client.PriceModel(ctx, s.Offering.Offering, 1)
	require.NoError(t, err)
	require.Equal(t, s.PriceModel.Hash, pm.Hash)
}

// Keys are checked against the window valid at the transaction time: a key
// added with an expiry signs until then.
func TestKeyLifecycle(t *testing.T) { onEachLedger(t, testKeyLifecycle) }

func testKeyLifecycle(t *testing.T, e *env) {
	ctx := t.Context()
	s := e.marketplace()
	second := newKey(t)
	// Adding a key needs a current key of the party and the new key's proof.
	m := &schema.AddKeyMessage{Party: s.Customer.ID, Key: crypto.PubkeyToAddress(second.PublicKey).Hex(), Replay: e.b.Replay()}
	act := e.signed(m, s.Customer.Key)
	act.ProofOfPossession = e.signature(m, second)
	r, err := e.client.Act(ctx, act)
	require.NoError(t, err)
	p := decode[schema.Party](t, r.Payload)
	require.Len(t, p.Keys, 2)
	require.NotEmpty(t, p.Act.ProofOfPossession)

	// The member revokes the first key (e.g. lost); the second still signs.
	revoke := func() error {
		_, err := e.admin(scenario.RegioIT).Act(ctx, e.byMember(&schema.RevokeKeyMessage{Party: s.Customer.ID, Key: s.Customer.Address(), Replay: e.b.Replay()}, ""))
		return err
	}
	require.NoError(t, revoke())
	_, err = e.act(&schema.ExpressInterestMessage{Agreement: e.b.ID("k1"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: e.b.Replay()}, s.Customer.Key)
	requireRefused(t, err, schema.CodeForbidden, "signature")
	e.mustAct(&schema.ExpressInterestMessage{Agreement: e.b.ID("k1"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: e.b.Replay()}, second)

	// Revoking twice is refused.
	requireRefused(t, revoke(), schema.CodeConflict, "message.key")

	// A key with an expiry in the past cannot be added.
	_, err = e.b.AddKey(ctx, s.Customer, newKey(t), 1, 2)
	requireRefused(t, err, schema.CodeInvalid, "message.validUntil")
}

// An act sent again is answered with its first commit (the client asks the
// chaincode for the receipt under the signer's nonce); another message
// under the used nonce is a conflict.
func TestActsSentAgain(t *testing.T) { onEachLedger(t, testActsSentAgain) }

func testActsSentAgain(t *testing.T, e *env) {
	s := e.marketplace()
	ctx := t.Context()
	m := &schema.ExpressInterestMessage{Agreement: e.b.ID("again"), Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: e.b.Replay()}
	act := e.signed(m, s.Customer.Key)
	first, err := e.client.Act(ctx, act)
	require.NoError(t, err)
	require.False(t, first.Replayed)
	height := e.height()

	again, err := e.client.Act(ctx, act)
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, first.TxID, again.TxID)
	require.Equal(t, first.BlockNumber, again.BlockNumber)
	require.JSONEq(t, string(first.Payload), string(again.Payload))
	require.Equal(t, height, e.height(), "nothing committed")

	// Through a client that never saw the first answer (a restarted portal).
	fresh, err := e.reconnect().Act(ctx, act)
	require.NoError(t, err)
	require.Equal(t, first.TxID, fresh.TxID)

	other := *m
	other.Agreement = e.b.ID("again-other")
	_, err = e.act(&other, s.Customer.Key)
	requireRefused(t, err, schema.CodeConflict, "message.nonce")

	// Every kind of act, each sent again after later acts on its record:
	// the answer is the first one, whether the record logs the act
	// (schema.Act.Logged) or a version keeps it inside.
	type sent struct {
		name  string
		act   *schema.Act
		via   *client.Client
		first *client.Result
	}
	var acts []*sent
	send := func(name string, act *schema.Act, via *client.Client) *client.Result {
		r, err := via.Act(ctx, act)
		require.NoError(t, err, name)
		require.False(t, r.Replayed, name)
		acts = append(acts, &sent{name, act, via, r})
		return r
	}
	acts = append(acts, &sent{"an interest", act, e.client, first})
	newKey, memberKey := newKey(t), newKey(t)
	addKey := &schema.AddKeyMessage{Party: s.Customer.ID, Key: crypto.PubkeyToAddress(newKey.PublicKey).Hex(), Replay: e.b.Replay()}
	signedAddKey, err := schema.NewAct(addKey, e.signature(addKey, s.Customer.Key), e.signature(addKey, newKey))
	require.NoError(t, err)
	send("a key the party adds", signedAddKey, e.client)
	byMember := &schema.AddKeyMessage{Party: s.Customer.ID, Key: crypto.PubkeyToAddress(memberKey.PublicKey).Hex(), Replay: e.b.Replay()}
	send("a key the member adds", e.byMember(byMember, e.signature(byMember, memberKey)), e.admin(s.Customer.Member))
	// A key the member revokes carries no signature, so no signer's nonce
	// keeps a receipt: sent again, it is refused as revoked already.
	revoke := e.byMember(&schema.RevokeKeyMessage{Party: s.Customer.ID, Key: byMember.Key, Replay: e.b.Replay()}, "")
	_, err = e.admin(s.Customer.Member).Act(ctx, revoke)
	require.NoError(t, err)
	require.False(t, revoke.Logged())
	_, err = e.admin(s.Customer.Member).Act(ctx, revoke)
	requireRefused(t, err, schema.CodeConflict, "message.key")
	var submitted schema.Offering
	require.NoError(t, json.Unmarshal(send("an offering version", e.signed(e.b.Bauantrag(2), s.Supplier.Key), e.client).Payload, &submitted))
	send("an acceptance", e.signed(&schema.AcceptOfferingMessage{Offering: submitted.Offering, Version: submitted.Version,
		OfferingHash: submitted.Hash, Replay: e.b.Replay()}, s.Anbieter.Key), e.client)
	send("a price-model version", e.signed(e.b.SamplePriceModel(2, s.PriceModel.Hash), s.Supplier.Key), e.client)
	d := s.Deal("again", "")
	d.Agreement.ID = m.Agreement
	require.NoError(t, d.EnterFees(ctx, scenario.DefaultFees), "a later act on the interest's agreement")

	for _, a := range acts {
		t.Run(a.name, func(t *testing.T) {
			again, err := a.via.Act(ctx, a.act)
			require.NoError(t, err)
			require.True(t, again.Replayed)
			require.Equal(t, a.first.TxID, again.TxID)
			require.Equal(t, a.first.BlockNumber, again.BlockNumber)
			require.JSONEq(t, string(a.first.Payload), string(again.Payload))

			ref := a.act.Record()
			if !ref.Record.HasActs() {
				require.False(t, a.act.Logged(), "a version keeps its act inside")
				return
			}
			logged, err := e.client.Acts(ctx, ref)
			require.NoError(t, err)
			found := slices.ContainsFunc(logged, func(raw json.RawMessage) bool {
				var s schema.SignedAct
				require.NoError(t, json.Unmarshal(raw, &s))
				return s.TxID == a.first.TxID
			})
			require.Equal(t, a.act.Logged(), found, "the record logs the act exactly when schema.Act.Logged says so")
		})
	}
}
