package schema

import (
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomValue fills a field with a random value of its EIP-712 kind.
func randomValue(r *rand.Rand, v reflect.Value, kind string) {
	randomHex := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		return "0x" + hex.EncodeToString(b)
	}
	randomText := func() string {
		alphabet := []rune("abcXYZ 019-_.&äöüßÄ€😀\"\\/\n")
		out := make([]rune, r.IntN(40))
		for i := range out {
			out[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(out)
	}
	switch kind {
	case "string":
		v.SetString(randomText())
	case "bool":
		v.SetBool(r.IntN(2) == 1)
	case "uint64":
		v.SetUint(r.Uint64() >> r.UintN(64))
	case "uint256":
		b := make([]byte, 1+r.IntN(32))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		v.SetString(new(big.Int).SetBytes(b).String())
	case "address":
		v.SetString(canonicalAddress(randomHex(20)))
	case "bytes32":
		v.SetString(randomHex(32))
	case "string[]", "bytes32[]", "uint64[]":
		n := r.IntN(4)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			randomValue(r, s.Index(i), strings.TrimSuffix(kind, "[]"))
		}
		v.Set(s)
	}
}

// The fast digest is EIP-712: over random messages and contents of every
// type the registry defines, it equals go-ethereum's TypedDataAndHash.
func TestFastDigestIsEIP712(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	protos := map[string]any{TypeOffering: &OfferingContent{}, TypePriceModel: &PriceModelContent{}, TypeTerms: &Terms{}}
	for _, at := range ActTypes {
		m, err := NewMessage(at)
		require.NoError(t, err)
		protos[at] = m
	}
	for primary, proto := range protos {
		t.Run(primary, func(t *testing.T) {
			for range 200 {
				v := reflect.New(reflect.TypeOf(proto).Elem())
				enc, err := encodingOf(v.Elem().Type(), primary)
				require.NoError(t, err)
				for _, f := range enc.fields {
					randomValue(r, v.Elem().FieldByIndex(f.index), f.kind)
				}
				fast, err := DigestOf("registry", primary, v.Interface())
				require.NoError(t, err)
				typed, err := TypedMessage(v.Interface())
				require.NoError(t, err)
				reference, err := Digest("registry", primary, typed)
				require.NoError(t, err)
				require.Equal(t, hex.EncodeToString(reference), hex.EncodeToString(fast), "%+v", v.Interface())
			}
		})
	}
}

func BenchmarkDigest(b *testing.B) {
	m := &EnterFeesMessage{Agreement: "koeln-bauantrag", FeeVersion: 2, PriceModelHash: "0x" + strings.Repeat("ab", 32),
		AnnualFee: 1_200_000, ProRataFee: 100_000, ConnectionFee: 50_000, ScopeOfUse: "Bauaufsicht der Stadt Köln",
		Replay: Replay{Nonce: "123456789012345678901234567890", Deadline: 4102444800}}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := DigestOf("registry", TypeEnterFees, m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference=apitypes", func(b *testing.B) {
		for b.Loop() {
			typed, err := TypedMessage(m)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Digest("registry", TypeEnterFees, typed); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// DigestOf refuses, naming the field, a struct whose Go field cannot hold
// its EIP-712 type, a struct lacking a field, and a value that is no struct;
// it never hashes such a value into a wrong digest.
func TestDigestOfRefusesMismatchedStructs(t *testing.T) {
	type deadlineAsText struct {
		Agreement string `json:"agreement"`
		TermsHash string `json:"termsHash"`
		Nonce     string `json:"nonce"`
		Deadline  string `json:"deadline"`
	}
	type nonceAsNumber struct {
		Agreement string `json:"agreement"`
		TermsHash string `json:"termsHash"`
		Nonce     uint64 `json:"nonce"`
		Deadline  Uint   `json:"deadline"`
	}
	type noDeadline struct {
		Agreement string `json:"agreement"`
		TermsHash string `json:"termsHash"`
		Nonce     string `json:"nonce"`
	}
	for _, c := range []struct {
		name  string
		value any
		err   string
	}{
		{"a uint64 field as text", deadlineAsText{}, `field "deadline" is a Go string, which does not hold an EIP-712 uint64`},
		{"a uint256 field as a number", nonceAsNumber{}, `field "nonce" is a Go uint64, which does not hold an EIP-712 uint256`},
		{"a missing field", noDeadline{}, `has no field "deadline"`},
		{"no struct", "PlaceOrder", "is not a struct"},
		{"a nil pointer", (*PlaceOrderMessage)(nil), "no value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := DigestOf("registry", TypePlaceOrder, c.value)
			require.ErrorContains(t, err, c.err)
		})
	}
}
