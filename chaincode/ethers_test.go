package chaincode_test

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/internal/jstest"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

type ethersResult struct {
	Address   string `json:"address"`
	Digest    string `json:"digest"`
	Signature string `json:"signature"`
}

// ethersSign has ethers v6 hash and sign a message with the given key.
func ethersSign(t *testing.T, channel string, m chaincode.Message, keyHex string) ethersResult {
	t.Helper()
	typed, err := chaincode.TypedMessage(m)
	require.NoError(t, err)
	d := chaincode.Domain(channel)
	input, err := json.Marshal(map[string]any{
		"privateKey":  keyHex,
		"domain":      map[string]string{"name": d.Name, "version": d.Version, "salt": d.Salt},
		"types":       chaincode.Types(),
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
	e := newEmbeddedEnv(t, nil, false)
	s := newScenario(t, e)
	key := newKey(t)
	keyHex := "0x" + hex.EncodeToString(crypto.FromECDSA(key))
	address := crypto.PubkeyToAddress(key.PublicKey).Hex()

	hamburg := chaincode.PartyRegistration{ID: e.id("hamburg"), Kind: chaincode.KindLand, Name: "Freie und Hansestadt Hamburg", AGS: "02000000", InHouse: []string{s.anbieter.id}}
	_, err := e.submit(e.admin(dataport), "RegisterParty", jsonOf(t, hamburg))
	require.NoError(t, err)

	// The portal's wallet proves possession of its key...
	add := &chaincode.AddKeyMessage{Party: hamburg.ID, Key: address, Replay: e.replay()}
	pop := ethersSign(t, e.channel, add, keyHex)
	require.Equal(t, address, pop.Address)
	_, err = e.submit(e.admin(dataport), "AddKeyAsMember", jsonOf(t, add), pop.Signature)
	require.NoError(t, err)

	// ...and signs acts the chaincode accepts.
	interest := &chaincode.ExpressInterestMessage{Agreement: e.id("hamburg-bauantrag"), Offering: s.offering.Offering, Customer: hamburg.ID, Replay: e.replay()}
	signed := ethersSign(t, e.channel, interest, keyHex)
	out, err := e.submit(e.client, "ExpressInterest", jsonOf(t, interest), signed.Signature)
	require.NoError(t, err)
	a := decode[chaincode.Agreement](t, out)
	require.Equal(t, address, a.Acts[0].Signer)
	require.Equal(t, signed.Digest, a.Acts[0].Digest)

	// Same digest in both libraries for every act type, arrays, booleans and bytes32 included.
	samples := []chaincode.Message{
		add,
		&chaincode.RevokeKeyMessage{Party: hamburg.ID, Key: address, Replay: e.replay()},
		bauantrag(e, 3),
		&chaincode.AcceptOfferingMessage{Offering: "o", Version: 1, OfferingHash: s.offering.Hash, Replay: e.replay()},
		&chaincode.WithdrawOfferingMessage{Offering: "o", Party: "p", Reason: "Grund: ä ö ü ß", Replay: e.replay()},
		samplePriceModel(e, 2, s.priceModel.Hash),
		interest,
		&chaincode.EnterFeesMessage{Agreement: "a", FeeVersion: 7, PriceModelHash: s.priceModel.Hash, AnnualFee: 18_446_744_073_709_551_615, ScopeOfUse: "alle Ämter", Replay: e.replay()},
		&chaincode.ApproveFeesMessage{Agreement: "a", Party: "p", FeeVersion: 7, TermsHash: s.priceModel.Hash, Replay: e.replay()},
		&chaincode.PlaceOrderMessage{Agreement: "a", TermsHash: s.priceModel.Hash, Replay: chaincode.Replay{Nonce: "115792089237316195423570985008687907853269984665640564039457584007913129639935", Deadline: 1}},
		&chaincode.TerminateMessage{Agreement: "a", Party: "p", EndDate: "2030-12-31", Reason: "", Replay: e.replay()},
	}
	require.Len(t, samples, len(chaincode.ActTypes))
	for _, m := range samples {
		t.Run(m.PrimaryType(), func(t *testing.T) {
			typed, err := chaincode.TypedMessage(m)
			require.NoError(t, err)
			ours, err := chaincode.Digest(e.channel, m.PrimaryType(), typed)
			require.NoError(t, err)
			theirs := ethersSign(t, e.channel, m, keyHex)
			require.Equal(t, "0x"+hex.EncodeToString(ours), theirs.Digest)
			sig, err := chaincode.Sign(e.channel, m, key)
			require.NoError(t, err)
			require.Equal(t, sig, theirs.Signature, "deterministic (RFC 6979) signatures agree too")
		})
	}
}
