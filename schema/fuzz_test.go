package schema_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/efa-marktplatz/registry/schema"
)

// FuzzDecodeAct feeds arbitrary act messages and signatures to the decoding
// and validation every act runs first. Properties: nothing panics; a refusal
// is an invalid-input *schema.Error naming a field; a message that passes
// validation can always be hashed (so no accepted input reaches an internal
// error), re-decodes to itself, and signature recovery over its digest
// either recovers an address or refuses cleanly.
func FuzzDecodeAct(f *testing.F) {
	e := schema.Replay{Nonce: "42", Deadline: 1900000000}
	hash := "0x" + "ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34"
	seeds := []schema.Message{
		&schema.AddKeyMessage{Party: "stadt-koeln", Key: "0x00000000000000000000000000000000000000AA", ValidUntil: 5, Replay: e},
		&schema.RevokeKeyMessage{Party: "p", Key: "0x00000000000000000000000000000000000000aa", Replay: e},
		&schema.SubmitOfferingMessage{OfferingContent: schema.OfferingContent{Offering: "o", Version: 1, Supplier: "s", Anbieter: "a",
			Kind: schema.KindOZGService, Title: "T", Themenfeld: "Umwelt", LeiKaKeys: []string{"99999999000000"}, OZGIDs: []string{"10255"},
			DocumentHashes: []string{hash}}, Replay: e},
		&schema.AcceptOfferingMessage{Offering: "o", Version: 1, OfferingHash: hash, Replay: e},
		&schema.WithdrawOfferingMessage{Offering: "o", Party: "p", Reason: "r", Replay: e},
		&schema.PublishPriceModelMessage{PriceModelContent: schema.PriceModelContent{Offering: "o", Version: 1, PredecessorHash: schema.ZeroHash,
			ValidFrom: "2027-01-01", DistributionKey: schema.KeyCases, WeightCases: 10000, AnnualFee: 1,
			VATCategory: schema.VATStandard, VATRate: 1900}, Replay: e},
		&schema.ExpressInterestMessage{Agreement: "a", Offering: "o", Customer: "c", Replay: e},
		&schema.EnterFeesMessage{Agreement: "a", FeeVersion: 1, PriceModelHash: hash, Replay: e},
		&schema.ApproveFeesMessage{Agreement: "a", Party: "p", FeeVersion: 1, TermsHash: hash, Replay: e},
		&schema.PlaceOrderMessage{Agreement: "a", TermsHash: hash, Replay: e},
		&schema.TerminateMessage{Agreement: "a", Party: "p", EndDate: "2030-01-01", Replay: e},
	}
	sig := "0x11aabbccdd"
	for i, m := range seeds {
		raw, err := json.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), string(raw), sig)
	}
	f.Add(uint8(0), `{"party":"x","key":"0x","validFrom":"01","validUntil":1e3,"nonce":"-1","deadline":null}`, "0x")
	f.Fuzz(func(t *testing.T, kind uint8, raw, signature string) {
		primary := schema.ActTypes[int(kind)%len(schema.ActTypes)]
		m, err := schema.NewMessage(primary)
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.DecodeMessage(raw, m); err != nil {
			var re *schema.Error
			if !errors.As(err, &re) || re.Code != schema.CodeInvalid || re.Field == "" || re.Rule == "" {
				t.Fatalf("refusal is not an invalid-input error naming a field: %#v", err)
			}
			return
		}
		typed, err := schema.TypedMessage(m)
		if err != nil {
			t.Fatalf("valid %s cannot be typed: %v", primary, err)
		}
		digest, err := schema.Digest("registry", primary, typed)
		if err != nil {
			t.Fatalf("valid %s cannot be hashed: %v\n%s", primary, err, raw)
		}
		again, _ := schema.NewMessage(primary)
		canonical, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.DecodeMessage(string(canonical), again); err != nil {
			t.Fatalf("canonical form of a valid %s is refused: %v\n%s", primary, err, canonical)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("%s does not re-decode to itself:\n%#v\n%#v", primary, m, again)
		}
		if _, err := schema.RecoverSigner("signature", digest, signature); err != nil && err.Error() == "" {
			t.Fatal("signature refusal without a reason")
		}
	})
}
