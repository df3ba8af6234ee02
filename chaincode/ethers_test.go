package chaincode_test

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/efa-marktplatz/registry/internal/jstest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

type ethersResult struct {
	Address   string `json:"address"`
	Digest    string `json:"digest"`
	Signature string `json:"signature"`
}

// ethersSign has ethers v6 hash and sign a message with the given key.
func ethersSign(t *testing.T, channel string, m schema.Message, keyHex string) ethersResult {
	t.Helper()
	typed, err := schema.TypedMessage(m)
	require.NoError(t, err)
	d := schema.Domain(channel)
	input, err := json.Marshal(map[string]any{
		"privateKey":  keyHex,
		"domain":      map[string]string{"name": d.Name, "version": d.Version, "salt": d.Salt},
		"types":       schema.Types(),
		"primaryType": m.PrimaryType(),
		"message":     typed,
	})
	require.NoError(t, err)
	out := jstest.Node(t, "sign.mjs", input)
	var r ethersResult
	require.NoError(t, json.Unmarshal(out, &r), "%s", out)
	return r
}

// A JavaScript portal signs with ethers v6 (signTypedData) over the domain
// and types the registry exports; the chaincode accepts the signatures, and
// both libraries compute the same digest for every act type.
func TestEthersSignaturesAreAccepted(t *testing.T) {
	jstest.Install(t)
	ctx := t.Context()
	e := newEmbeddedEnv(t, nil, false)
	s := e.marketplace()
	key := newKey(t)
	keyHex := "0x" + hex.EncodeToString(crypto.FromECDSA(key))
	address := crypto.PubkeyToAddress(key.PublicKey).Hex()
	channel := e.b.Channel()

	hamburg := schema.PartyRegistration{ID: e.b.ID("hamburg"), Kind: schema.KindLand, Name: "Freie und Hansestadt Hamburg", AGS: "02000000", InHouse: []string{s.Anbieter.ID}}
	_, err := e.admin(scenario.Dataport).RegisterParty(ctx, hamburg)
	require.NoError(t, err)

	// The portal's wallet proves possession of its key...
	add := &schema.AddKeyMessage{Party: hamburg.ID, Key: address, Replay: e.b.Replay()}
	pop := ethersSign(t, channel, add, keyHex)
	require.Equal(t, address, pop.Address)
	_, err = e.admin(scenario.Dataport).Act(ctx, e.byMember(add, pop.Signature))
	require.NoError(t, err)

	// ...and signs acts the chaincode accepts.
	interest := &schema.ExpressInterestMessage{Agreement: e.b.ID("hamburg-bauantrag"), Offering: s.Offering.Offering, Customer: hamburg.ID, Replay: e.b.Replay()}
	signed := ethersSign(t, channel, interest, keyHex)
	r, err := e.client.Act(ctx, &schema.Act{Message: interest, Signature: signed.Signature})
	require.NoError(t, err)
	a := decode[schema.Agreement](t, r.Payload)
	require.Equal(t, address, a.Act.Signer)
	require.Equal(t, signed.Digest, a.Act.Digest)

	// Same digest in both libraries for every act type, arrays, booleans and bytes32 included.
	samples := []schema.Message{
		add,
		&schema.RevokeKeyMessage{Party: hamburg.ID, Key: address, Replay: e.b.Replay()},
		e.b.Bauantrag(3),
		&schema.AcceptOfferingMessage{Offering: "o", Version: 1, OfferingHash: s.Offering.Hash, Replay: e.b.Replay()},
		&schema.WithdrawOfferingMessage{Offering: "o", Party: "p", Reason: "Grund: ä ö ü ß", Replay: e.b.Replay()},
		e.b.SamplePriceModel(2, s.PriceModel.Hash),
		interest,
		&schema.EnterFeesMessage{Agreement: "a", FeeVersion: 7, PriceModelHash: s.PriceModel.Hash, AnnualFee: 18_446_744_073_709_551_615, ScopeOfUse: "alle Ämter", Replay: e.b.Replay()},
		&schema.ApproveFeesMessage{Agreement: "a", Party: "p", FeeVersion: 7, TermsHash: s.PriceModel.Hash, Replay: e.b.Replay()},
		&schema.PlaceOrderMessage{Agreement: "a", TermsHash: s.PriceModel.Hash, Replay: schema.Replay{Nonce: "115792089237316195423570985008687907853269984665640564039457584007913129639935", Deadline: 1}},
		&schema.TerminateMessage{Agreement: "a", Party: "p", EndDate: "2030-12-31", Reason: "", Replay: e.b.Replay()},
		&schema.ReportUsageMessage{Agreement: "a", Year: 2027, Cases: 12_345, Replaces: 1, Replay: e.b.Replay()},
		&schema.PublishAllocationMessage{Offering: "o", Year: 2027, Version: 2, PriceModelHash: s.PriceModel.Hash, AllocationHash: s.Offering.Hash, Replay: e.b.Replay()},
		&schema.AdjustFeesMessage{Offering: "o", Year: 2027, AllocationVersion: 1, Agreements: []string{"a", "b", "c"},
			AnnualFees: []schema.Uint{0, 1, 18_446_744_073_709_551_615}, Replay: e.b.Replay()},
		&schema.IssueInvoiceMessage{Agreement: "a", Anbieter: "govdigital", Year: 2027, Number: "RE-2027-0001", Replay: e.b.Replay()},
	}
	require.Len(t, samples, len(schema.ActTypes))
	for _, m := range samples {
		t.Run(m.PrimaryType(), func(t *testing.T) {
			typed, err := schema.TypedMessage(m)
			require.NoError(t, err)
			ours, err := schema.Digest(channel, m.PrimaryType(), typed)
			require.NoError(t, err)
			theirs := ethersSign(t, channel, m, keyHex)
			require.Equal(t, "0x"+hex.EncodeToString(ours), theirs.Digest)
			sig, err := schema.Sign(channel, m, key)
			require.NoError(t, err)
			require.Equal(t, sig, theirs.Signature, "deterministic (RFC 6979) signatures agree too")
		})
	}
}
