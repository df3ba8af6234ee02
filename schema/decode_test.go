package schema_test

import (
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// Every refusal of the strict decoder names the JSON path the client sent
// and a rule without Go names, and never quotes the input at length.
func TestDecodeStrictNamesTheField(t *testing.T) {
	const fees = `"agreement":"a","feeVersion":"1","priceModelHash":"0x%s","proRataFee":"0","connectionFee":"0","scopeOfUse":"","nonce":"1","deadline":"4102444800"`
	hash := strings.Repeat("ab", 32)
	msg := func(annual string) string {
		return `{"annualFee":` + annual + `,` + strings.Replace(fees, "%s", hash, 1) + `}`
	}
	huge := `"` + strings.Repeat("9", 300_000) + `"`
	for _, tc := range []struct {
		name, raw, field, rule string
	}{
		{"a negative fee", msg(`"-1"`), "message.annualFee", "unsigned integer"},
		{"a negative number", msg(`-1`), "message.annualFee", "unsigned integer"},
		{"a fraction", msg(`1.5`), "message.annualFee", "unsigned integer"},
		{"2^64", msg(`"18446744073709551616"`), "message.annualFee", "at most 18446744073709551615"},
		{"leading zeros", msg(`"007"`), "message.annualFee", "leading zeros"},
		{"a huge fee", msg(huge), "message.annualFee", "at most"},
		{"a boolean for a number", msg(`true`), "message.annualFee", "unsigned integer"},
		{"null", msg(`null`), "message.annualFee", "must not be null"},
		{"a missing field", `{` + strings.Replace(fees, "%s", hash, 1) + `}`, "message.annualFee", "is required"},
		{"an unknown field", `{"price":"0",` + msg(`"1"`)[1:], "message.price", "is not a field here"},
		{"a field twice", `{"annualFee":"1",` + msg(`"1"`)[1:], "message.annualFee", "must not appear twice"},
		{"a number for a string", strings.Replace(msg(`"1"`), `"agreement":"a"`, `"agreement":7`, 1), "message.agreement", "must be a string"},
		{"not an object", `[1,2]`, "message", "must be a JSON object"},
		{"trailing data", msg(`"1"`) + `{}`, "message", "without trailing data"},
		{"invalid UTF-8", "{\"agreement\":\"\xff\"}", "message", "valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m schema.EnterFeesMessage
			err := schema.DecodeStrict("message", []byte(tc.raw), &m)
			var e *schema.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, schema.CodeInvalid, e.Code)
			require.Equal(t, tc.field, e.Field)
			require.Contains(t, e.Rule, tc.rule)
			require.Less(t, len(e.Error()), 600, "a refusal never echoes the input at length")
			require.NotRegexp(t, `EnterFeesMessage|Replay|schema\.|Uint|uint64|int64`, e.Rule, "no Go names")
		})
	}

	t.Run("array elements by index", func(t *testing.T) {
		var r schema.PartyRegistration
		err := schema.DecodeStrict("party", []byte(`{"id":"x","kind":"Bund","name":"Bund","inHouse":["a",2]}`), &r)
		var e *schema.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, "party.inHouse[1]", e.Field)
	})
	t.Run("optional fields may be left out", func(t *testing.T) {
		var r schema.PartyRegistration
		require.NoError(t, schema.DecodeStrict("party", []byte(`{"id":"x","kind":"Bund","name":"Bund","inHouse":[]}`), &r))
		require.Equal(t, "x", r.ID)
	})
	t.Run("a valid message decodes", func(t *testing.T) {
		var m schema.EnterFeesMessage
		require.NoError(t, schema.DecodeStrict("message", []byte(msg(`"1200000"`)), &m))
		require.Equal(t, schema.Uint(1_200_000), m.AnnualFee)
		require.Equal(t, "1", m.Nonce)
	})
}
