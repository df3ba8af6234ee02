package schema

import (
	"slices"
	"strings"

	"github.com/efa-marktplatz/registry/schema/identifier"
)

// Listing filters: the attribute a listing is narrowed by, one at a time
// (the composite-key indexes the chaincode keeps).
var (
	OfferingFilters  = []string{"themenfeld", "kind", "supplier", "anbieter", "status", "leika"}
	AgreementFilters = []string{"customer", "supplier", "anbieter", "status", "offering"}
	InvoiceFilters   = []string{"customer", "anbieter", "agreement", "year"}
)

// Filter narrows a listing to the records with one attribute value (By ""
// lists all): OfferingFilters, AgreementFilters, InvoiceFilters.
type Filter struct {
	By, Value string
}

// PageRequest asks for a page of a listing: at most Size records (0: the
// chaincode's default of 50) after the bookmark of the page before ("" for
// the first page).
type PageRequest struct {
	Size     int
	Bookmark string
}

// NormalizeFilter checks a listing filter of a kind of record — by one of
// its filters, for value — and returns the value as the index holds it:
// statuses are matched in any case. A refusal names the filter (the query
// parameter a portal sent), or "by" for an unknown filter.
func NormalizeFilter(record Record, by, value string) (string, error) {
	var filters, statuses []string
	switch record {
	case RecordOffering:
		filters, statuses = OfferingFilters, OfferingStatuses
	case RecordAgreement:
		filters, statuses = AgreementFilters, AgreementStatuses
	case RecordInvoice:
		filters = InvoiceFilters
	default:
		return "", Invalid("record", "no listing of %s records by a filter", record)
	}
	if by == "" {
		if value != "" {
			return "", Invalid("value", "must be empty without a filter")
		}
		return "", nil
	}
	if !slices.Contains(filters, by) {
		return "", Invalid("by", "must be one of %s, or empty", strings.Join(filters, ", "))
	}
	switch by {
	case "status":
		if s := strings.ToUpper(value); slices.Contains(statuses, s) {
			return s, nil
		}
		return "", Invalid(by, "must be one of %s", strings.Join(statuses, ", "))
	case "themenfeld":
		if err := identifier.Themenfeld(value); err != nil {
			return "", Invalid(by, "must be one of the 14 OZG Themenfelder, e.g. \"Bauen & Wohnen\"")
		}
	case "kind":
		if !slices.Contains(OfferingKinds, value) {
			return "", Invalid(by, "must be one of %s", strings.Join(OfferingKinds, ", "))
		}
	case "leika":
		if err := identifier.LeiKa(value); err != nil {
			return "", Invalid(by, "%v", err)
		}
	case "year":
		y, err := ParseVersion(by, value)
		if err != nil || checkYear(by, y) != nil {
			return "", Invalid(by, "must be a year from %d to %d", MinYear, MaxYear)
		}
		return YearKey(y), nil
	default: // a party, offering or agreement id
		if err := checkID(by, value); err != nil {
			return "", err
		}
	}
	return value, nil
}
