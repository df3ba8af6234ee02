package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Record is a kind of record the registry keeps: the object type of its
// state key (a Fabric composite key), the record named in events and the
// kind a history is asked for.
type Record string

// The kinds of record.
const (
	RecordParty           Record = "party"
	RecordOffering        Record = "offering"
	RecordOfferingVersion Record = "offeringVersion"
	RecordPriceModel      Record = "priceModel"
	RecordAgreement       Record = "agreement"
	RecordFeeVersion      Record = "feeVersion"
	// RecordFigure: a version of a reference figure, named kind/subject/year.
	RecordFigure Record = "figure"
	// RecordAllocation: a published cost allocation, named offering/year,
	// by version.
	RecordAllocation Record = "allocation"
	// RecordInvoice: an invoice, named anbieter:number.
	RecordInvoice Record = "invoice"
)

// Versioned reports whether records of the kind are versions of a parent
// (an offering's or an agreement's), named by the parent's id and a number.
func (r Record) Versioned() bool {
	return r == RecordOfferingVersion || r == RecordPriceModel || r == RecordFeeVersion ||
		r == RecordFigure || r == RecordAllocation
}

// HasActs reports whether records of the kind keep the signed acts on
// them (ActLog, each act under ActKey): parties, offerings and agreements.
// Versions keep the one act that made them inside them.
func (r Record) HasActs() bool {
	return r == RecordParty || r == RecordOffering || r == RecordAgreement
}

// Ref names one record: its kind, its id (the parent's id for a versioned
// record) and, for a versioned record, its version.
type Ref struct {
	Record  Record
	ID      string
	Version Uint
}

// PartyRef, OfferingRef, … name records.
func PartyRef(id string) Ref     { return Ref{Record: RecordParty, ID: id} }
func OfferingRef(id string) Ref  { return Ref{Record: RecordOffering, ID: id} }
func AgreementRef(id string) Ref { return Ref{Record: RecordAgreement, ID: id} }
func OfferingVersionRef(offering string, v Uint) Ref {
	return Ref{Record: RecordOfferingVersion, ID: offering, Version: v}
}
func PriceModelRef(offering string, v Uint) Ref {
	return Ref{Record: RecordPriceModel, ID: offering, Version: v}
}
func FeeVersionRef(agreement string, v Uint) Ref {
	return Ref{Record: RecordFeeVersion, ID: agreement, Version: v}
}

// Attributes are the attributes of the record's composite key.
func (r Ref) Attributes() []string {
	switch r.Record {
	case RecordFigure, RecordAllocation: // the id's parts, the year last
		parts := strings.Split(r.ID, "/")
		if y, err := strconv.ParseUint(parts[len(parts)-1], 10, 64); err == nil {
			parts[len(parts)-1] = YearKey(Uint(y))
		}
		return append(parts, VersionKey(r.Version))
	}
	if r.Record.Versioned() {
		return []string{r.ID, VersionKey(r.Version)}
	}
	return []string{r.ID}
}

// Key is the record's state key, as the chaincode writes it, for those who
// read read/write sets: auditors and their verifiers.
func (r Ref) Key() string { return compositeKey(string(r.Record), r.Attributes()...) }

// String names the record as history and events do: the id, and
// "id/version" for a versioned record.
func (r Ref) String() string {
	if r.Record.Versioned() {
		return r.ID + "/" + strconv.FormatUint(uint64(r.Version), 10)
	}
	return r.ID
}

// ParseRef reads a record's name as String writes it, for a kind; field
// names the input in the error.
func ParseRef(field string, record Record, name string) (Ref, error) {
	switch record {
	case RecordParty, RecordOffering, RecordAgreement:
		return Ref{Record: record, ID: name}, nil
	case RecordInvoice:
		return Ref{Record: record, ID: name}, nil
	case RecordOfferingVersion, RecordPriceModel, RecordFeeVersion, RecordFigure, RecordAllocation:
		i := strings.LastIndex(name, "/")
		if i < 0 {
			return Ref{}, Invalid(field, "must be <id>/<version> for a %s", record)
		}
		v, err := ParseVersion(field, name[i+1:])
		if err != nil {
			return Ref{}, Invalid(field, "must be <id>/<version> for a %s", record)
		}
		return Ref{Record: record, ID: name[:i], Version: v}, nil
	}
	return Ref{}, Invalid("record", "must be party, offering, agreement, offeringVersion, priceModel, feeVersion, figure, allocation or invoice")
}

// VersionKey is a version as a key attribute: zero-padded to 20 digits, so
// that keys sort by version.
func VersionKey(v Uint) string { return fmt.Sprintf("%020d", uint64(v)) }

// ParseVersion reads a version number (1 or more) given as text, e.g. in a
// path; field names the input in the error.
func ParseVersion(field, s string) (Uint, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return 0, Invalid(field, "must be a version number 1 or more")
	}
	return Uint(v), nil
}

// PartyKey is the state key of a party.
func PartyKey(id string) string { return PartyRef(id).Key() }

// OfferingKey is the state key of an offering's current state.
func OfferingKey(id string) string { return OfferingRef(id).Key() }

// ActKey is the state key of the seq-th signed act (from 1) on a record of
// a kind that has acts (Record.HasActs): the composite key of ActObject and
// ActAttributes.
func ActKey(kind Record, id string, seq Uint) string {
	return compositeKey(ActObject, ActAttributes(kind, id, seq)...)
}

// ActAttributes are the composite-key attributes of the seq-th act on a
// record; without seq, the partial key under which all its acts lie, in
// order.
func ActAttributes(kind Record, id string, seq ...Uint) []string {
	attrs := []string{string(kind), id}
	for _, n := range seq {
		attrs = append(attrs, VersionKey(n))
	}
	return attrs
}

// ActObject is the object type of the signed acts' keys.
const ActObject = "act"

// AgreementKey is the state key of an agreement.
func AgreementKey(id string) string { return AgreementRef(id).Key() }

// FeeVersionKey is the state key of an agreement's fee version.
func FeeVersionKey(agreement string, v Uint) string { return FeeVersionRef(agreement, v).Key() }

// PriceModelKey is the state key of a price-model version.
func PriceModelKey(offering string, v Uint) string { return PriceModelRef(offering, v).Key() }

// OfferingVersionKey is the state key of an offering version.
func OfferingVersionKey(offering string, v Uint) string {
	return OfferingVersionRef(offering, v).Key()
}

// compositeKey builds a key as shim.CreateCompositeKey does (the attributes
// are checked when the chaincode writes; here they only name what to look for).
func compositeKey(objectType string, attrs ...string) string {
	var b strings.Builder
	b.WriteString("\x00" + objectType + "\x00")
	for _, a := range attrs {
		b.WriteString(a + "\x00")
	}
	return b.String()
}

// ActPrefix is the start of the keys of every act on a record: the keys
// of its acts are ActPrefix followed by the act's zero-padded sequence
// number and a NUL, so they sort in order.
func ActPrefix(kind Record, id string) string {
	return compositeKey(ActObject, ActAttributes(kind, id)...)
}

// SplitKey takes a composite state key apart into its object type and
// attributes; ok is false for a key that is not composite.
func SplitKey(key string) (objectType string, attrs []string, ok bool) {
	if len(key) < 2 || key[0] != 0 || key[len(key)-1] != 0 {
		return "", nil, false
	}
	parts := strings.Split(key[1:len(key)-1], "\x00")
	return parts[0], parts[1:], true
}
