package schema_test

import (
	"encoding/json"
	"testing"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// Money and time have documented bounds, checked with every message, and
// the refusal names the field and the bound.
func TestBoundsOfMoneyAndTime(t *testing.T) {
	replay := schema.Replay{Nonce: "1", Deadline: 4102444800}
	hash := schema.ZeroHash[:len(schema.ZeroHash)-1] + "1"
	for _, tc := range []struct {
		name  string
		m     schema.Message
		field string
		rule  string
	}{
		{"a fee of 2^63 cents", &schema.EnterFeesMessage{Agreement: "a", FeeVersion: 1, PriceModelHash: hash, AnnualFee: 1 << 63, Replay: replay},
			"message.annualFee", "at most 1000000000000 cents"},
		{"a connection fee above the bound", &schema.EnterFeesMessage{Agreement: "a", FeeVersion: 1, PriceModelHash: hash, ConnectionFee: schema.MaxCents + 1, Replay: replay},
			"message.connectionFee", "ten billion euros"},
		{"a price model's annual fee above the bound", &schema.PublishPriceModelMessage{PriceModelContent: schema.PriceModelContent{
			Offering: "o", Version: 1, PredecessorHash: schema.ZeroHash, ValidFrom: "2027-01-01", DistributionKey: schema.KeyCases,
			WeightCases: 10000, AnnualFee: schema.MaxCents + 1, VATCategory: schema.VATStandard, VATRate: 1900}, Replay: replay}, "message.annualFee", "at most"},
		{"an offering's cost pool above the bound", &schema.SubmitOfferingMessage{OfferingContent: schema.OfferingContent{
			Offering: "o", Version: 1, Supplier: "s", Anbieter: "a", Kind: schema.KindCloudService, Title: "T", CostOperation: schema.MaxCents + 1}, Replay: replay},
			"message.costOperation", "at most"},
		{"a deadline of 2^63", &schema.PlaceOrderMessage{Agreement: "a", TermsHash: hash, Replay: schema.Replay{Nonce: "1", Deadline: 1 << 63}},
			"message.deadline", "up to 253402300799 (9999-12-31T23:59:59Z)"},
		{"a key valid from 2^63", &schema.AddKeyMessage{Party: "p", Key: "0x00000000000000000000000000000000000000AA", ValidFrom: 1 << 63, Replay: replay},
			"message.validFrom", "up to 253402300799"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(tc.m)
			require.NoError(t, err)
			fresh, err := schema.NewMessage(tc.m.PrimaryType())
			require.NoError(t, err)
			err = schema.DecodeMessage(string(raw), fresh)
			var e *schema.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, schema.CodeInvalid, e.Code)
			require.Equal(t, tc.field, e.Field)
			require.Contains(t, e.Rule, tc.rule)
		})
	}
	t.Run("at the bounds, accepted", func(t *testing.T) {
		m := &schema.EnterFeesMessage{Agreement: "a", FeeVersion: 1, PriceModelHash: hash, AnnualFee: schema.MaxCents,
			Replay: schema.Replay{Nonce: "1", Deadline: schema.MaxTime}}
		raw, err := json.Marshal(m)
		require.NoError(t, err)
		require.NoError(t, schema.DecodeMessage(string(raw), &schema.EnterFeesMessage{}))
	})
}
