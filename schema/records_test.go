package schema_test

import (
	"encoding/json"
	"testing"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// Answers add members to the records the chaincode wrote without decoding
// them: whatever the object's spacing, the result is the object with the
// members after its own, and anything but two objects is refused.
func TestAddMembers(t *testing.T) {
	for _, c := range []struct {
		name, object, members, want string
	}{
		{"a record", `{"id":"a","n":"1"}`, `{"act":{"type":"X"}}`, `{"id":"a","n":"1","act":{"type":"X"}}`},
		{"an empty object", `{}`, `{"txId":"t"}`, `{"txId":"t"}`},
		{"an empty object with space", `{ }`, `{"txId":"t"}`, `{"txId":"t"}`},
		{"space around", " \n{\"id\":\"a\"} \n", ` {"txId":"t","blockNumber":"2"} `, `{"id":"a","txId":"t","blockNumber":"2"}`},
		{"space inside", "{ \"id\":\"a\" \n}", `{"txId":"t"}`, `{"id":"a","txId":"t"}`},
		{"no members", `{"id":"a"}`, `{ }`, `{"id":"a"}`},
		{"a brace in a string", `{"id":"}"}`, `{"x":"{"}`, `{"id":"}","x":"{"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := schema.AddMembers([]byte(c.object), []byte(c.members))
			require.NoError(t, err)
			require.True(t, json.Valid(got), "%s", got)
			require.Equal(t, c.want, string(got))
		})
	}
	for _, c := range []struct{ name, object, members string }{
		{"empty input", ``, `{"a":"1"}`},
		{"an array", `["a"]`, `{"a":"1"}`},
		{"a string", `"{}"`, `{"a":"1"}`},
		{"members not an object", `{"a":"1"}`, `["b"]`},
		{"a lone brace", `{`, `{"a":"1"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := schema.AddMembers([]byte(c.object), []byte(c.members))
			require.ErrorContains(t, err, "not a JSON object")
		})
	}
}

// A record's answers: an act's carries the act as "act", a read's the acts
// in order as "acts" (none: an empty list).
func TestAnswerAndReadOf(t *testing.T) {
	stored := []byte(`{"id":"a","actCount":"2"}`)
	answer, err := schema.AnswerOf(stored, []byte(`{"type":"B"}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"a","actCount":"2","act":{"type":"B"}}`, string(answer))
	read, err := schema.ReadOf(stored, [][]byte{[]byte(`{"type":"A"}`), []byte(`{"type":"B"}`)})
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"a","actCount":"2","acts":[{"type":"A"},{"type":"B"}]}`, string(read))
	none, err := schema.ReadOf(stored, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"a","actCount":"2","acts":[]}`, string(none))
}
