package schema

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/crypto/sha3"
)

// The EIP-712 hashing of the registry's own types, without the generic
// machinery of go-ethereum's apitypes (a map per message, reflection on
// every value, big numbers for every integer): each struct type is mapped
// once to its fields' EIP-712 encodings, and a message is hashed straight
// from the struct. Every type the registry defines is flat — string,
// bool, address, bytes32, uint64, uint256 and arrays of strings or bytes32 —
// so encodeData is a sequence of 32-byte words. TestFastDigestIsEIP712
// holds it to apitypes.TypedDataAndHash over random messages of every type.

// encoding is how one field of a struct is EIP-712-encoded.
type encoding struct {
	index []int  // the struct field
	kind  string // the EIP-712 type
}

// structEncoding is a struct type's fields in the order of its EIP-712 type.
type structEncoding struct {
	typeHash []byte
	fields   []encoding
}

var (
	encodings sync.Map // reflect.Type + primary type → *structEncoding
	domains   sync.Map // channel → domain separator
)

type encodingKey struct {
	t           reflect.Type
	primaryType string
}

// encodingOf maps a struct type's JSON fields to the fields of an EIP-712
// type, once.
func encodingOf(t reflect.Type, primaryType string) (*structEncoding, error) {
	k := encodingKey{t, primaryType}
	if e, ok := encodings.Load(k); ok {
		return e.(*structEncoding), nil
	}
	fields, ok := types[primaryType]
	if !ok {
		return nil, fmt.Errorf("unknown EIP-712 type %q", primaryType)
	}
	byName := map[string]field{}
	for _, f := range jsonFields(t) {
		byName[f.name] = f
	}
	var sig strings.Builder
	sig.WriteString(primaryType + "(")
	e := &structEncoding{}
	for i, f := range fields {
		sf, ok := byName[f.Name]
		if !ok {
			return nil, fmt.Errorf("%s has no field %q of type %s", t, f.Name, primaryType)
		}
		if ft := t.FieldByIndex(sf.index).Type; !fits(f.Type, ft) {
			return nil, fmt.Errorf("%s field %q is a Go %s, which does not hold an EIP-712 %s", t, f.Name, ft, f.Type)
		}
		if i > 0 {
			sig.WriteByte(',')
		}
		sig.WriteString(f.Type + " " + f.Name)
		e.fields = append(e.fields, encoding{index: sf.index, kind: f.Type})
	}
	sig.WriteByte(')')
	e.typeHash = crypto.Keccak256([]byte(sig.String()))
	actual, _ := encodings.LoadOrStore(k, e)
	return actual.(*structEncoding), nil
}

// fits reports whether a Go type holds values of an EIP-712 type as
// encodeWord reads them: integers up to 64 bits as unsigned integers, all
// else as text (uint256 in decimal, address and bytes32 in 0x-hex), arrays
// as slices.
func fits(kind string, t reflect.Type) bool {
	switch kind {
	case "bool":
		return t.Kind() == reflect.Bool
	case "uint64":
		return t.Kind() == reflect.Uint64
	case "string", "uint256", "address", "bytes32":
		return t.Kind() == reflect.String
	case "string[]", "bytes32[]":
		return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String
	case "uint64[]":
		return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint64
	}
	return false
}

// hashStruct is EIP-712's hashStruct of a struct value as a type.
func hashStruct(v reflect.Value, primaryType string) ([]byte, error) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, fmt.Errorf("%s: no value", primaryType)
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%s: a %s is not a struct", primaryType, v.Type())
	}
	e, err := encodingOf(v.Type(), primaryType)
	if err != nil {
		return nil, err
	}
	h := sha3.NewLegacyKeccak256()
	h.Write(e.typeHash)
	var word [32]byte
	for _, f := range e.fields {
		if err := encodeWord(&word, v.FieldByIndex(f.index), f.kind); err != nil {
			return nil, fmt.Errorf("%s: %w", primaryType, err)
		}
		h.Write(word[:])
	}
	return h.Sum(nil), nil
}

// encodeWord writes a field's 32-byte EIP-712 encoding.
func encodeWord(word *[32]byte, v reflect.Value, kind string) error {
	clear(word[:])
	switch kind {
	case "string":
		copy(word[:], crypto.Keccak256([]byte(v.String())))
	case "bool":
		if v.Bool() {
			word[31] = 1
		}
	case "uint64":
		binary.BigEndian.PutUint64(word[24:], v.Uint())
	case "uint256":
		n, ok := new(big.Int).SetString(v.String(), 10)
		if !ok || n.Sign() < 0 || n.BitLen() > 256 {
			return fmt.Errorf("not a uint256: %q", v.String())
		}
		n.FillBytes(word[:])
	case "address":
		b, err := hexBytes(v.String(), 20)
		if err != nil {
			return err
		}
		copy(word[12:], b)
	case "bytes32":
		b, err := hexBytes(v.String(), 32)
		if err != nil {
			return err
		}
		copy(word[:], b)
	case "string[]", "bytes32[]", "uint64[]":
		h := sha3.NewLegacyKeccak256()
		var item [32]byte
		for i := range v.Len() {
			if err := encodeWord(&item, v.Index(i), strings.TrimSuffix(kind, "[]")); err != nil {
				return err
			}
			h.Write(item[:])
		}
		h.Sum(word[:0])
	default:
		return fmt.Errorf("no EIP-712 encoding of %s", kind)
	}
	return nil
}

// hexBytes decodes 0x-prefixed hex of exactly n bytes.
func hexBytes(s string, n int) ([]byte, error) {
	if len(s) != 2+2*n || (s[:2] != "0x" && s[:2] != "0X") {
		return nil, fmt.Errorf("not %d bytes of 0x-hex", n)
	}
	return hex.DecodeString(s[2:])
}

// domainSeparator is hashStruct of the channel's EIP712Domain, once per
// channel.
func domainSeparator(channel string) []byte {
	if d, ok := domains.Load(channel); ok {
		return d.([]byte)
	}
	d := Domain(channel)
	type domain struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Salt    string `json:"salt"`
	}
	sep, err := hashStruct(reflect.ValueOf(domain{Name: d.Name, Version: d.Version, Salt: d.Salt}), "EIP712Domain")
	if err != nil {
		panic(fmt.Sprintf("schema: the registry's own domain does not hash: %v", err)) // a constant type over constant values
	}
	domains.Store(channel, sep)
	return sep
}

// DigestOf is the EIP-712 digest of a struct — a message or a record's
// content — as a primary type on a channel: keccak256(0x1901 ‖ domain
// separator ‖ hashStruct). It equals Digest over the struct's typed message.
func DigestOf(channel, primaryType string, v any) ([]byte, error) {
	s, err := hashStruct(reflect.ValueOf(v), primaryType)
	if err != nil {
		return nil, err
	}
	return crypto.Keccak256([]byte{0x19, 0x01}, domainSeparator(channel), s), nil
}
