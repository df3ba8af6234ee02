package web

import (
	"encoding/json"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/schema"
)

// funcs are the templates' formatting helpers: presentation only.
var funcs = template.FuncMap{
	"euro":            euro,
	"when":            when,
	"unixDate":        unixDate,
	"offeringStatus":  label(offeringStatuses),
	"agreementStatus": label(agreementStatuses),
	"offeringKind":    label(offeringKinds),
	"actType":         label(actTypes),
	"validation":      label(validationCodes),
	"join":            strings.Join,
	"percent":         percent,
	"json":            jsonText,
	"terminate":       terminateFields,
	"statusClass":     func(s string) string { return "status-" + strings.ToLower(strings.ReplaceAll(s, "_", "-")) },
}

// euro formats cents as German euros: 1.234,56 €.
func euro(c schema.Uint) string {
	s := strconv.FormatUint(uint64(c)/100, 10)
	var b strings.Builder
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(d)
	}
	return b.String() + "," + leftPad(uint64(c)%100) + "\u00a0€"
}

func leftPad(n uint64) string {
	if n < 10 {
		return "0" + strconv.FormatUint(n, 10)
	}
	return strconv.FormatUint(n, 10)
}

// percent formats basis points: 1900 → 19 %.
func percent(bp schema.Uint) string {
	s := strconv.FormatFloat(float64(bp)/100, 'f', -1, 64)
	return strings.ReplaceAll(s, ".", ",") + "\u00a0%"
}

// berlin is the time zone the pages show times in.
var berlin = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Berlin"); err == nil {
		return l
	}
	return time.UTC
}()

// when formats an RFC 3339 transaction time for people.
func when(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.In(berlin).Format("02.01.2006, 15:04:05 MST")
}

// unixDate formats a key's validity bound (Unix seconds; 0 is open).
func unixDate(u schema.Uint, open string) string {
	if u == 0 {
		return open
	}
	return time.Unix(int64(u), 0).In(berlin).Format("02.01.2006, 15:04 MST")
}

// label returns a lookup of German labels; an unknown value shows as is.
func label(m map[string]string) func(string) string {
	return func(v string) string {
		if l, ok := m[v]; ok {
			return l
		}
		return v
	}
}

var offeringStatuses = map[string]string{
	schema.OfferingSubmitted: "Eingereicht",
	schema.OfferingPublished: "Veröffentlicht",
	schema.OfferingWithdrawn: "Zurückgezogen",
}

var agreementStatuses = map[string]string{
	schema.AgreementInterest:         "Interesse bekundet",
	schema.AgreementFeesEntered:      "Entgelte eingetragen",
	schema.AgreementApproved:         "Entgelte bestätigt",
	schema.AgreementConcluded:        "Verbindlich bestellt",
	schema.AgreementFeeChangePending: "Entgeltänderung offen",
	schema.AgreementTerminated:       "Gekündigt",
}

var offeringKinds = map[string]string{
	schema.KindOZGService:      "OZG-Leistung",
	schema.KindFachverfahren:   "Fachverfahren",
	schema.KindBasiskomponente: "Basiskomponente",
	schema.KindCloudService:    "Cloud-Dienst",
}

var actTypes = map[string]string{
	schema.TypeAddKey:            "Schlüssel hinzugefügt",
	schema.TypeRevokeKey:         "Schlüssel widerrufen",
	schema.TypeSubmitOffering:    "Angebot eingereicht",
	schema.TypeAcceptOffering:    "Angebot angenommen",
	schema.TypeWithdrawOffering:  "Angebot zurückgezogen",
	schema.TypePublishPriceModel: "Preismodell veröffentlicht",
	schema.TypeExpressInterest:   "Interesse bekundet",
	schema.TypeEnterFees:         "Entgelte eingetragen",
	schema.TypeApproveFees:       "Entgelte bestätigt",
	schema.TypePlaceOrder:        "Verbindlich bestellt",
	schema.TypeTerminate:         "Gekündigt",
	schema.TypeReportUsage:       "Fallzahlen gemeldet",
	schema.TypePublishAllocation: "Kostenverteilung veröffentlicht",
	schema.TypeAdjustFees:        "Entgelte angepasst",
	schema.TypeIssueInvoice:      "Rechnung gestellt",
}

var validationCodes = map[string]string{
	"VALID": "gültig (VALID)",
}

// dec writes a uint64 in decimal, as the API sends it.
func dec(u schema.Uint) string { return strconv.FormatUint(uint64(u), 10) }

// jsonText encodes v for a data attribute (html/template escapes it).
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// terminateFields are the fields of a termination the page fills in; the
// end date and the reason come from the form.
func terminateFields(agreement, party string) map[string]string {
	return map[string]string{"agreement": agreement, "party": party}
}
