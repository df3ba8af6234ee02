package xrechnung

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of model errors; test with errors.Is on the error returned by Validate or Marshal.
var (
	ErrRequired    = errors.New("required")
	ErrInvalid     = errors.New("invalid")
	ErrOutOfRange  = errors.New("out of range")
	ErrUnsupported = errors.New("unsupported")
)

// FieldError is a problem with one field of an Invoice, e.g. "Seller.Contact.Phone: required".
type FieldError struct {
	Field string // Go path of the field, e.g. "Lines[2].NetCents"
	Err   error  // wraps one of ErrRequired, ErrInvalid, ErrOutOfRange, ErrUnsupported
}

// Error implements error.
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the kind of the error.
func (e *FieldError) Unwrap() error { return e.Err }

// fieldErr builds a *FieldError of the given kind with an optional detail.
func fieldErr(field string, kind error, format string, args ...any) error {
	if format == "" {
		return &FieldError{Field: field, Err: kind}
	}
	return &FieldError{Field: field, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
}

// Validate checks the invoice against the model-level rules that Marshal relies on to produce an
// XRechnung 3.0 document without rule violations. It returns nil or an errors.Join of
// *FieldError values, each naming the offending field (and, where one applies, the rule).
func (inv *Invoice) Validate() error {
	v := &validator{}
	v.text("Number", inv.Number, true)
	v.date("IssueDate", inv.IssueDate, true)
	switch inv.TypeCode {
	case TypePartialInvoice, TypeCommercialInvoice, TypeCreditNote, TypeCorrectedInvoice,
		TypeSelfBilledInvoice, TypePartialConstructionInvoice, TypePartialFinalConstruction,
		TypeFinalConstructionInvoice:
	case "":
		v.add("TypeCode", ErrRequired, "")
	default:
		v.add("TypeCode", ErrUnsupported, "%q is not an XRechnung type code (BR-DE-17)", inv.TypeCode)
	}
	if inv.Currency != "" && inv.Currency != DefaultCurrency {
		v.add("Currency", ErrUnsupported, "%q: only EUR is supported", inv.Currency)
	}
	v.text("BuyerReference", inv.BuyerReference, true)
	v.text("ProcessID", inv.ProcessID, false)
	for i, r := range inv.Preceding {
		v.text(fmt.Sprintf("Preceding[%d].Number", i), r.Number, true)
		v.date(fmt.Sprintf("Preceding[%d].IssueDate", i), r.IssueDate, false)
	}
	if inv.TypeCode == TypeCorrectedInvoice && len(inv.Preceding) == 0 {
		v.add("Preceding", ErrRequired, "a corrected invoice (384) must name the invoice it corrects (BR-DE-26)")
	}
	v.text("ContractReference", inv.ContractReference, false)
	v.text("Note", inv.Note, false)
	start, hasStart := v.date("PeriodStart", inv.PeriodStart, false)
	end, hasEnd := v.date("PeriodEnd", inv.PeriodEnd, false)
	if hasStart && hasEnd && end.Before(start) {
		v.add("PeriodEnd", ErrInvalid, "%s is before PeriodStart %s (BR-29)", inv.PeriodEnd, inv.PeriodStart)
	}
	v.party("Seller", &inv.Seller, true)
	v.party("Buyer", &inv.Buyer, false)
	v.payment(&inv.Payment)
	if v.text("PaymentTerms", inv.PaymentTerms, false) {
		if p := skontoProblem(inv.PaymentTerms); p != "" {
			v.add("PaymentTerms", ErrInvalid, "%s (BR-DE-18)", p)
		}
	}
	v.date("DueDate", inv.DueDate, false)
	v.lines(inv, start, hasStart, end, hasEnd)
	v.vat(inv)
	if t, err := inv.Totals(); err != nil {
		v.errs = append(v.errs, err)
	} else if !inv.IsCreditNote() && t.PayableCents > 0 && isBlank(inv.DueDate) && isBlank(inv.PaymentTerms) {
		v.add("DueDate", ErrRequired, "a positive amount due needs DueDate or PaymentTerms (BR-CO-25)")
	}
	return errors.Join(v.errs...)
}

// validator collects field errors.
type validator struct{ errs []error }

func (v *validator) add(field string, kind error, format string, args ...any) {
	v.errs = append(v.errs, fieldErr(field, kind, format, args...))
}

// text checks that value holds only characters XML can carry and, if required, is not blank.
// It reports whether the value is present (not blank).
func (v *validator) text(field, value string, required bool) bool {
	if !utf8.ValidString(value) {
		v.add(field, ErrInvalid, "not valid UTF-8")
		return false
	}
	for _, r := range value {
		if !isXMLChar(r) {
			v.add(field, ErrInvalid, "character %U cannot be written in XML", r)
			return false
		}
	}
	if isBlank(value) {
		if required {
			v.add(field, ErrRequired, "")
		}
		return false
	}
	return true
}

// code checks an optional or required code against a code list.
func (v *validator) code(field, value string, list codeList, listName string, required bool) {
	if !v.text(field, value, required) {
		return
	}
	if !list.has(value) {
		v.add(field, ErrInvalid, "%q is not in %s", value, listName)
	}
}

// date parses an optional or required "YYYY-MM-DD" date and reports whether one is present.
func (v *validator) date(field, value string, required bool) (time.Time, bool) {
	if value == "" {
		if required {
			v.add(field, ErrRequired, "")
		}
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, value)
	if err != nil {
		v.add(field, ErrInvalid, "%q is not a YYYY-MM-DD date", value)
		return time.Time{}, false
	}
	return t, true
}

var (
	emailPattern = regexp.MustCompile(`^[^@\s]+@([^@.\s]+\.)+[^@.\s]+$`)
	ibanPattern  = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{0,30}$`)
)

// party checks a seller (seller == true) or buyer.
func (v *validator) party(name string, p *Party, seller bool) {
	f := func(s string) string { return name + "." + s }
	v.text(f("Name"), p.Name, true)
	v.text(f("TradingName"), p.TradingName, false)
	hasID := v.text(f("Identifier"), p.Identifier, false)
	if !isBlank(p.IdentifierScheme) && !hasID {
		v.add(f("IdentifierScheme"), ErrInvalid, "set without Identifier")
	}
	v.code(f("IdentifierScheme"), p.IdentifierScheme, icdCodes, "ISO 6523 ICD (BR-CL-10)", false)
	v.text(f("Street"), p.Street, false)
	v.text(f("AdditionalStreet"), p.AdditionalStreet, false)
	v.text(f("City"), p.City, true)
	v.text(f("PostalCode"), p.PostalCode, true)
	v.text(f("CountrySubdivision"), p.CountrySubdivision, false)
	v.code(f("CountryCode"), p.CountryCode, countryCodes, "ISO 3166-1 (BR-CL-14)", true)
	v.code(f("ElectronicAddress.Scheme"), p.ElectronicAddress.Scheme, easCodes, "the EAS code list (BR-CL-25)", true)
	v.text(f("ElectronicAddress.Value"), p.ElectronicAddress.Value, true)
	if v.text(f("VATID"), p.VATID, false) && !strings.Contains(vatPrefixes, firstN(p.VATID, 2)) {
		v.add(f("VATID"), ErrInvalid, "%q does not start with a country code (BR-CO-09)", p.VATID)
	}
	hasTaxNo := v.text(f("TaxNumber"), p.TaxNumber, false)
	hasReg := v.text(f("RegistrationID"), p.RegistrationID, false)
	hasLegal := v.text(f("LegalInfo"), p.LegalInfo, false)
	if !seller {
		if hasTaxNo {
			v.add(f("TaxNumber"), ErrUnsupported, "EN 16931 has no buyer tax number")
		}
		if hasLegal {
			v.add(f("LegalInfo"), ErrUnsupported, "EN 16931 has no buyer additional legal information")
		}
	}
	if seller && isBlank(p.VATID) && !hasID && !hasReg {
		v.add(f("RegistrationID"), ErrRequired, "the seller needs a VATID, Identifier or RegistrationID (BR-CO-26)")
	}
	c := p.Contact
	v.text(f("Contact.Name"), c.Name, seller)
	if v.text(f("Contact.Phone"), c.Phone, seller) && seller && countDigits(c.Phone) < 3 {
		v.add(f("Contact.Phone"), ErrInvalid, "%q has fewer than three digits (BR-DE-27)", c.Phone)
	}
	if v.text(f("Contact.Email"), c.Email, seller) && seller && !emailPattern.MatchString(normalizeSpace(c.Email)) {
		v.add(f("Contact.Email"), ErrInvalid, "%q is not an e-mail address (BR-DE-28)", c.Email)
	}
}

// payment checks the payment instructions.
func (v *validator) payment(p *Payment) {
	code := p.meansCode()
	if code != MeansCreditTransfer && code != MeansSEPACreditTransfer {
		v.add("Payment.MeansCode", ErrUnsupported, "%q: only credit transfer (30, 58) is supported", p.MeansCode)
	}
	if v.text("Payment.IBAN", p.IBAN, true) && code == MeansSEPACreditTransfer && !validIBAN(p.IBAN) {
		v.add("Payment.IBAN", ErrInvalid, "%q is not a valid IBAN (BR-DE-19)", p.IBAN)
	}
	v.text("Payment.BIC", p.BIC, false)
	v.text("Payment.AccountName", p.AccountName, false)
	v.text("Payment.RemittanceInfo", p.RemittanceInfo, false)
}

// lines checks the invoice lines against each other and the invoicing period.
func (v *validator) lines(inv *Invoice, start time.Time, hasStart bool, end time.Time, hasEnd bool) {
	if len(inv.Lines) == 0 {
		v.add("Lines", ErrRequired, "an invoice needs at least one line (BR-16)")
	}
	for i := range inv.Lines {
		l := &inv.Lines[i]
		f := func(s string) string { return fmt.Sprintf("Lines[%d].%s", i, s) }
		v.text(f("ID"), l.ID, false)
		v.text(f("Name"), l.Name, true)
		v.text(f("Description"), l.Description, false)
		if !isBlank(l.UnitCode) {
			v.code(f("UnitCode"), l.UnitCode, unitCodes, "UN/ECE Rec. 20/21 (BR-CL-23)", false)
		}
		okAmounts := true
		if l.QuantityMilli <= 0 || l.QuantityMilli > MaxCents {
			v.add(f("QuantityMilli"), ErrOutOfRange, "%d is not in 1..%d", l.QuantityMilli, MaxCents)
			okAmounts = false
		}
		if l.PriceCents < 0 || l.PriceCents > MaxCents {
			v.add(f("PriceCents"), ErrOutOfRange, "%d is not in 0..%d (BR-27)", l.PriceCents, MaxCents)
			okAmounts = false
		}
		if l.NetCents < -MaxCents || l.NetCents > MaxCents {
			v.add(f("NetCents"), ErrOutOfRange, "|%d| exceeds %d", l.NetCents, MaxCents)
			okAmounts = false
		}
		if okAmounts {
			// PEPPOL-EN16931-R120: net = quantity × price within 0.02.
			diff := new(big.Int).Mul(big.NewInt(l.QuantityMilli), big.NewInt(l.PriceCents))
			diff.Sub(diff, new(big.Int).Mul(big.NewInt(l.NetCents), big.NewInt(1000)))
			if diff.CmpAbs(big.NewInt(2000)) > 0 {
				v.add(f("NetCents"), ErrInvalid, "%d is not quantity × price = %d (PEPPOL-EN16931-R120)",
					l.NetCents, LineNet(l.QuantityMilli, l.PriceCents))
			}
		}
		ls, hasLS := v.date(f("PeriodStart"), l.PeriodStart, false)
		le, hasLE := v.date(f("PeriodEnd"), l.PeriodEnd, false)
		if hasLS && hasLE && le.Before(ls) {
			v.add(f("PeriodEnd"), ErrInvalid, "%s is before PeriodStart %s (BR-30)", l.PeriodEnd, l.PeriodStart)
		}
		if hasLS && hasStart && ls.Before(start) {
			v.add(f("PeriodStart"), ErrInvalid, "%s is before the invoicing period (PEPPOL-EN16931-R110)", l.PeriodStart)
		}
		if hasLE && hasEnd && le.After(end) {
			v.add(f("PeriodEnd"), ErrInvalid, "%s is after the invoicing period (PEPPOL-EN16931-R111)", l.PeriodEnd)
		}
	}
}

// vat checks the VAT category and the party data it requires.
func (v *validator) vat(inv *Invoice) {
	x := inv.VAT
	hasReason := v.text("VAT.ExemptionReason", x.ExemptionReason, false)
	if !isBlank(x.ExemptionReasonCode) {
		v.code("VAT.ExemptionReasonCode", x.ExemptionReasonCode, vatexCodes, "the VATEX code list (BR-CL-22)", false)
		hasReason = true
	}
	sellerTaxID := !isBlank(inv.Seller.VATID) || !isBlank(inv.Seller.TaxNumber)
	rate := x.RateBasisPoints
	switch x.Category {
	case VATStandard:
		if rate <= 0 || rate > 10000 {
			v.add("VAT.RateBasisPoints", ErrOutOfRange, "%d: category S needs a rate in 1..10000 (BR-S-05)", rate)
		}
		if hasReason {
			v.add("VAT.ExemptionReason", ErrInvalid, "category S has no exemption reason (BR-S-10)")
		}
	case VATZero:
		if hasReason {
			v.add("VAT.ExemptionReason", ErrInvalid, "category Z has no exemption reason (BR-Z-10)")
		}
	case VATExempt, VATReverseCharge, VATNotSubject:
		if !hasReason {
			v.add("VAT.ExemptionReason", ErrRequired, "category %s needs an exemption reason or code (BR-%s-10)", x.Category, x.Category)
		}
	case "":
		v.add("VAT.Category", ErrRequired, "")
		return
	default:
		v.add("VAT.Category", ErrUnsupported, "%q: supported are S, Z, E, AE and O", x.Category)
		return
	}
	if x.Category != VATStandard && rate != 0 {
		v.add("VAT.RateBasisPoints", ErrInvalid, "%d: category %s has a rate of 0", rate, x.Category)
	}
	switch x.Category {
	case VATNotSubject:
		if !isBlank(inv.Seller.VATID) {
			v.add("Seller.VATID", ErrInvalid, "must be empty for category O (BR-O-02)")
		}
		if !isBlank(inv.Buyer.VATID) {
			v.add("Buyer.VATID", ErrInvalid, "must be empty for category O (BR-O-02)")
		}
	default:
		if !sellerTaxID {
			v.add("Seller.VATID", ErrRequired, "category %s needs the seller's VATID or TaxNumber (BR-DE-16, BR-%s-02)", x.Category, x.Category)
		}
	}
	if x.Category == VATReverseCharge && isBlank(inv.Buyer.VATID) && isBlank(inv.Buyer.RegistrationID) {
		v.add("Buyer.VATID", ErrRequired, "reverse charge needs the buyer's VATID or RegistrationID (BR-AE-02)")
	}
}

// isXMLChar reports whether r may appear in an XML 1.0 document.
func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// countDigits counts the ASCII digits of s.
func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// firstN returns the first n characters of s (XPath substring(s, 1, n)).
func firstN(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// validIBAN checks an IBAN the way BR-DE-19 does: after removing whitespace it must match
// ^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{0,30}$ and the ISO 7064 mod 97 check must give 1.
func validIBAN(s string) bool {
	s = removeSpace(s)
	if !ibanPattern.MatchString(s) {
		return false
	}
	rearranged := s[4:] + strings.ToUpper(s[:2]) + s[2:4]
	var digits strings.Builder
	for _, c := range rearranged {
		if c > 64 {
			fmt.Fprintf(&digits, "%d", c-55)
		} else {
			fmt.Fprintf(&digits, "%d", c-48)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// removeSpace deletes all whitespace from s.
func removeSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v' {
			return -1
		}
		return r
	}, s)
}

var (
	skontoLine    = regexp.MustCompile(`(^|\r?\n)#(SKONTO)#TAGE=([0-9]+#PROZENT=[0-9]+\.[0-9]{2})(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#$`)
	skontoSegment = regexp.MustCompile(`#.+#`)
	skontoTail    = regexp.MustCompile(`^\s*\n`)
	lineBreak     = regexp.MustCompile(`\r?\n`)
)

// skontoProblem checks payment terms the way BR-DE-18 does and returns "" when they conform:
// every line that starts with '#' must be a cash discount entry
// #SKONTO#TAGE=n#PROZENT=n.nn#[BASISBETRAG=n.nn#] and the text after the last entry must
// start with a line break.
func skontoProblem(note string) string {
	entries := false
	for _, l := range lineBreak.Split(note, -1) {
		n := normalizeSpace(l)
		if !strings.HasPrefix(n, "#") {
			continue
		}
		entries = true
		if !skontoLine.MatchString(n) {
			return fmt.Sprintf("line %q is not a cash discount entry #SKONTO#TAGE=n#PROZENT=n.nn#", n)
		}
	}
	if entries {
		parts := skontoSegment.Split(note, -1)
		if !skontoTail.MatchString(parts[len(parts)-1]) {
			return "the last cash discount entry must be followed by a line break"
		}
	}
	return ""
}
