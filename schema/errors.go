package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Code classifies a refused act. The API maps codes to HTTP statuses in one place.
type Code string

const (
	// CodeInvalid: the input breaks a rule (400).
	CodeInvalid Code = "invalid"
	// CodeForbidden: the signer or submitter may not perform this act, or
	// the signature recovers to no key (403). A malformed signature is
	// invalid input.
	CodeForbidden Code = "forbidden"
	// CodeNotFound: a record the act names does not exist (404).
	CodeNotFound Code = "not_found"
	// CodeConflict: the act is out of order, repeats a nonce or would
	// rewrite a write-once record (409).
	CodeConflict Code = "conflict"
)

// Error is the chaincode's refusal of an act or query. It crosses the
// Fabric boundary as its JSON encoding in the response message, so that the
// client and the API can recover it with ParseError.
type Error struct {
	Code  Code   `json:"code"`
	Field string `json:"field,omitempty"` // the offending input, e.g. "message.ars"
	Rule  string `json:"rule"`            // what the input must satisfy, or what went wrong
}

func (e *Error) Error() string {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Sprintf(`{"code":%q,"rule":"unencodable error"}`, e.Code)
	}
	return string(b)
}

// Is makes errors.Is(err, &Error{Code: c}) match any error of that code.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code && (t.Field == "" || t.Field == e.Field)
}

// ParseError recovers an *Error from a chaincode response message (as
// Fabric or the embedded ledger report it). It finds the JSON object even
// when a transport prefixed the message with its own words.
func ParseError(message string) (*Error, bool) {
	i := strings.Index(message, `{"code":`)
	if i < 0 {
		return nil, false
	}
	var e Error
	if err := json.NewDecoder(strings.NewReader(message[i:])).Decode(&e); err != nil || e.Code == "" {
		return nil, false
	}
	return &e, true
}

// Invalid is a refusal of input that breaks a rule (CodeInvalid).
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Rule: fmt.Sprintf(format, args...)}
}

// Forbidden is a refusal of a signer or submitter who may not act (CodeForbidden).
func Forbidden(field, format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Field: field, Rule: fmt.Sprintf(format, args...)}
}

// Conflict is a refusal of an act out of order, a repeated nonce or a
// rewrite of a write-once record (CodeConflict).
func Conflict(field, format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Field: field, Rule: fmt.Sprintf(format, args...)}
}

// NotFound is a refusal naming a record that does not exist (CodeNotFound).
func NotFound(field, format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Field: field, Rule: fmt.Sprintf(format, args...)}
}
