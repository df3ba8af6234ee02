package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Decoding JSON input strictly, so that every refusal names the JSON path of
// the field the client sent (message.annualFee, party.inHouse[2]) and a rule
// a person understands — never a Go type name, and never the input itself,
// which may be arbitrarily long.
//
// An object must carry every field of the struct that is not tagged
// omitempty, no other field and none twice; null is no value of any field
// but a list, where it means the empty list.

// maxEcho bounds the part of an offending key a refusal quotes.
const maxEcho = 64

// DecodeStrict decodes the JSON object raw into the struct v, naming fields
// by their JSON path under prefix ("" for the top level). Errors are *Error.
func DecodeStrict(prefix string, raw []byte, v any) error {
	if !utf8.Valid(raw) {
		return Invalid(orBody(prefix), "must be valid UTF-8")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("schema: DecodeStrict needs a pointer to a struct, not %T", v)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := decodeObject(dec, prefix, rv.Elem()); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Invalid(orBody(prefix), "must be one JSON object, without trailing data")
	}
	return nil
}

// DecodeStrictValue decodes one JSON value (an array, say) into v strictly,
// naming it path in a refusal.
func DecodeStrictValue(path string, raw []byte, v any) error {
	if !utf8.Valid(raw) {
		return Invalid(orBody(path), "must be valid UTF-8")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer {
		return fmt.Errorf("schema: DecodeStrictValue needs a pointer, not %T", v)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var one json.RawMessage
	if err := dec.Decode(&one); err != nil {
		return Invalid(orBody(path), "must be JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Invalid(orBody(path), "must be one JSON value, without trailing data")
	}
	return decodeValue(orBody(path), one, rv.Elem())
}

func orBody(prefix string) string {
	if prefix == "" {
		return "body"
	}
	return prefix
}

func join(prefix, name string) string {
	switch {
	case name == "":
		return orBody(prefix)
	case prefix == "":
		return name
	}
	return prefix + "." + name
}

// field is a JSON field of a struct (embedded structs flattened).
type field struct {
	name      string
	index     []int
	omitempty bool
}

func jsonFields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct {
			for _, sub := range jsonFields(f.Type) {
				sub.index = append([]int{i}, sub.index...)
				out = append(out, sub)
			}
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{name: name, index: []int{i}, omitempty: strings.Contains(opts, "omitempty")})
	}
	return out
}

// decodeObject reads one JSON object from dec into the struct sv.
func decodeObject(dec *json.Decoder, prefix string, sv reflect.Value) error {
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return Invalid(orBody(prefix), "must be a JSON object")
	}
	fields := jsonFields(sv.Type())
	byName := make(map[string]field, len(fields))
	for _, f := range fields {
		byName[f.name] = f
	}
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Invalid(orBody(prefix), "must be a JSON object")
		}
		key, _ := tok.(string)
		path := join(prefix, clip(key))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Invalid(path, "must be a JSON value")
		}
		f, ok := byName[key]
		switch {
		case !ok:
			return Invalid(path, "is not a field here: the fields are %s", names(fields))
		case seen[key]:
			return Invalid(path, "must not appear twice")
		}
		seen[key] = true
		if err := decodeValue(path, raw, sv.FieldByIndex(f.index)); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return Invalid(orBody(prefix), "must be a JSON object")
	}
	for _, f := range fields {
		if !seen[f.name] && !f.omitempty {
			return Invalid(join(prefix, f.name), "is required")
		}
	}
	return nil
}

var (
	uintType = reflect.TypeFor[Uint]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// decodeValue decodes one JSON value into v, naming path in a refusal.
func decodeValue(path string, raw json.RawMessage, v reflect.Value) error {
	if string(raw) == "null" {
		if v.Kind() == reflect.Slice && v.Type() != rawType {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0)) // an absent list is an empty one
			return nil
		}
		return Invalid(path, "must not be null")
	}
	switch {
	case v.Type() == rawType:
		v.SetBytes(bytes.Clone(raw))
		return nil
	case v.Type() == uintType:
		var u Uint
		if err := u.UnmarshalJSON(raw); err != nil {
			return Invalid(path, "%v", err)
		}
		v.Set(reflect.ValueOf(u))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Invalid(path, "must be a string")
		}
		v.SetString(s)
	case reflect.Bool:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return Invalid(path, "must be true or false")
		}
		v.SetBool(b)
	case reflect.Slice:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return Invalid(path, "must be an array")
		}
		out := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, item := range items {
			if err := decodeValue(fmt.Sprintf("%s[%d]", path, i), item, out.Index(i)); err != nil {
				return err
			}
		}
		v.Set(out)
	case reflect.Struct:
		return decodeObject(json.NewDecoder(bytes.NewReader(raw)), path, v)
	default:
		return fmt.Errorf("schema: no strict decoding of %s (%s)", v.Type(), path)
	}
	return nil
}

func names(fields []field) string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return strings.Join(out, ", ")
}

// clip shortens an echoed key to maxEcho runes.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxEcho {
		return s
	}
	return string([]rune(s)[:maxEcho]) + "…"
}
