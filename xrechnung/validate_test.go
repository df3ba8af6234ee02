package xrechnung

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestValidate breaks one field of a valid invoice at a time and requires an error that names
// the field and has the expected kind.
func TestValidate(t *testing.T) {
	require.NoError(t, standardInvoice().Validate())
	tests := []struct {
		name   string
		modify func(*Invoice)
		field  string
		kind   error
	}{
		{"number", func(i *Invoice) { i.Number = " " }, "Number", ErrRequired},
		{"issue date", func(i *Invoice) { i.IssueDate = "15.01.2026" }, "IssueDate", ErrInvalid},
		{"type code", func(i *Invoice) { i.TypeCode = "393" }, "TypeCode", ErrUnsupported},
		{"currency", func(i *Invoice) { i.Currency = "USD" }, "Currency", ErrUnsupported},
		{"buyer reference", func(i *Invoice) { i.BuyerReference = "" }, "BuyerReference", ErrRequired},
		{"corrected without preceding", func(i *Invoice) { i.TypeCode = TypeCorrectedInvoice }, "Preceding", ErrRequired},
		{"period order", func(i *Invoice) { i.PeriodStart, i.PeriodEnd = "2026-12-31", "2026-01-01"; i.Lines[0].PeriodStart = "" }, "PeriodEnd", ErrInvalid},
		{"seller contact", func(i *Invoice) { i.Seller.Contact = Contact{} }, "Seller.Contact.Name", ErrRequired},
		{"seller phone", func(i *Invoice) { i.Seller.Contact.Phone = "" }, "Seller.Contact.Phone", ErrRequired},
		{"seller phone digits", func(i *Invoice) { i.Seller.Contact.Phone = "+4 (x)" }, "Seller.Contact.Phone", ErrInvalid},
		{"seller email", func(i *Invoice) { i.Seller.Contact.Email = "buchhaltung" }, "Seller.Contact.Email", ErrInvalid},
		{"seller city", func(i *Invoice) { i.Seller.City = "" }, "Seller.City", ErrRequired},
		{"buyer postcode", func(i *Invoice) { i.Buyer.PostalCode = "" }, "Buyer.PostalCode", ErrRequired},
		{"country", func(i *Invoice) { i.Buyer.CountryCode = "XX" }, "Buyer.CountryCode", ErrInvalid},
		{"seller endpoint", func(i *Invoice) { i.Seller.ElectronicAddress = ElectronicAddress{} }, "Seller.ElectronicAddress.Scheme", ErrRequired},
		{"endpoint scheme", func(i *Invoice) { i.Buyer.ElectronicAddress.Scheme = "LW" }, "Buyer.ElectronicAddress.Scheme", ErrInvalid},
		{"VAT id prefix", func(i *Invoice) { i.Seller.VATID = "123456789" }, "Seller.VATID", ErrInvalid},
		{"buyer tax number", func(i *Invoice) { i.Buyer.TaxNumber = "1/2/3" }, "Buyer.TaxNumber", ErrUnsupported},
		{"seller identification", func(i *Invoice) { i.Seller.VATID, i.Seller.RegistrationID, i.Seller.TaxNumber = "", "", "1/2/3" }, "Seller.RegistrationID", ErrRequired},
		{"IBAN", func(i *Invoice) { i.Payment.IBAN = "DE00120300000000202051" }, "Payment.IBAN", ErrInvalid},
		{"means", func(i *Invoice) { i.Payment.MeansCode = "59" }, "Payment.MeansCode", ErrUnsupported},
		{"skonto", func(i *Invoice) { i.PaymentTerms = "#SKONTO#TAGE=14#PROZENT=2.00#" }, "PaymentTerms", ErrInvalid},
		{"no due date", func(i *Invoice) { i.PaymentTerms, i.DueDate = "", "" }, "DueDate", ErrRequired},
		{"no lines", func(i *Invoice) { i.Lines = nil }, "Lines", ErrRequired},
		{"line name", func(i *Invoice) { i.Lines[1].Name = "" }, "Lines[1].Name", ErrRequired},
		{"line quantity", func(i *Invoice) { i.Lines[1].QuantityMilli = 0 }, "Lines[1].QuantityMilli", ErrOutOfRange},
		{"line unit", func(i *Invoice) { i.Lines[1].UnitCode = "PIECES" }, "Lines[1].UnitCode", ErrInvalid},
		{"negative price", func(i *Invoice) { i.Lines[1].PriceCents = -1 }, "Lines[1].PriceCents", ErrOutOfRange},
		{"net mismatch", func(i *Invoice) { i.Lines[1].NetCents += 3 }, "Lines[1].NetCents", ErrInvalid},
		{"net too large", func(i *Invoice) { i.Lines[1].NetCents = MaxCents + 1 }, "Lines[1].NetCents", ErrOutOfRange},
		{"line period outside", func(i *Invoice) { i.Lines[0].PeriodEnd = "2027-01-31" }, "Lines[0].PeriodEnd", ErrInvalid},
		{"control character", func(i *Invoice) { i.Note = "a\x01b" }, "Note", ErrInvalid},
		{"invalid UTF-8", func(i *Invoice) { i.Lines[0].Name = "\xff" }, "Lines[0].Name", ErrInvalid},
		{"no category", func(i *Invoice) { i.VAT = VAT{} }, "VAT.Category", ErrRequired},
		{"unsupported category", func(i *Invoice) { i.VAT.Category = "K" }, "VAT.Category", ErrUnsupported},
		{"standard rate zero", func(i *Invoice) { i.VAT.RateBasisPoints = 0 }, "VAT.RateBasisPoints", ErrOutOfRange},
		{"standard with reason", func(i *Invoice) { i.VAT.ExemptionReason = "x" }, "VAT.ExemptionReason", ErrInvalid},
		{"exempt without reason", func(i *Invoice) { i.VAT = VAT{Category: VATExempt} }, "VAT.ExemptionReason", ErrRequired},
		{"zero with rate", func(i *Invoice) { i.VAT = VAT{Category: VATZero, RateBasisPoints: 700} }, "VAT.RateBasisPoints", ErrInvalid},
		{"not subject with seller VAT id", func(i *Invoice) { i.VAT = VAT{Category: VATNotSubject, ExemptionReason: "hoheitlich"} }, "Seller.VATID", ErrInvalid},
		{"reverse charge without buyer id", func(i *Invoice) { i.VAT = VAT{Category: VATReverseCharge, ExemptionReasonCode: "VATEX-EU-AE"} }, "Buyer.VATID", ErrRequired},
		{"unknown VATEX", func(i *Invoice) { i.VAT = VAT{Category: VATExempt, ExemptionReasonCode: "VATEX-XX"} }, "VAT.ExemptionReasonCode", ErrInvalid},
		{"standard without seller tax id", func(i *Invoice) { i.Seller.VATID = "" }, "Seller.VATID", ErrRequired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := standardInvoice()
			tc.modify(inv)
			err := inv.Validate()
			require.Error(t, err)
			require.ErrorIs(t, err, tc.kind)
			var fe *FieldError
			found := false
			for _, e := range unjoin(err) {
				if errors.As(e, &fe) && fe.Field == tc.field && errors.Is(fe, tc.kind) {
					found = true
				}
			}
			require.True(t, found, "no %v error for field %s in: %v", tc.kind, tc.field, err)
			_, mErr := Marshal(inv)
			require.ErrorIs(t, mErr, tc.kind, "Marshal must refuse what Validate rejects")
		})
	}
}

// unjoin splits an errors.Join error.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestMoney covers the integer money helpers.
func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		cents int64
		want  string
	}{{0, "0.00"}, {5, "0.05"}, {123450, "1234.50"}, {-7, "-0.07"}, {-123456, "-1234.56"}, {MaxCents, "1000000000000.00"}} {
		require.Equal(t, tc.want, formatCents(tc.cents))
	}
	for _, tc := range []struct {
		v     int64
		scale int
		want  string
	}{{1000, 3, "1"}, {1500, 3, "1.5"}, {1, 3, "0.001"}, {1900, 2, "19"}, {1950, 2, "19.5"}, {725, 2, "7.25"}, {0, 2, "0"}, {-250, 3, "-0.25"}} {
		require.Equal(t, tc.want, formatScaled(tc.v, tc.scale))
	}
	for _, tc := range []struct{ net, bp, want int64 }{
		{250, 1900, 48}, {1264564, 1900, 240267}, {100, 700, 7}, {50, 100, 1}, {49, 100, 0}, {-250, 1900, -48}, {0, 1900, 0},
	} {
		require.Equal(t, tc.want, VATAmount(tc.net, tc.bp), "VAT of %d at %d bp", tc.net, tc.bp)
	}
	for _, tc := range []struct{ q, p, want int64 }{
		{1000, 999, 999}, {250, 1234567, 308642}, {1500, 3, 5}, {333, 100, 33}, {1, 1_000_000_000, 1_000_000},
	} {
		require.Equal(t, tc.want, LineNet(tc.q, tc.p), "LineNet(%d, %d)", tc.q, tc.p)
	}
	tot, err := standardInvoice().Totals()
	require.NoError(t, err)
	require.Equal(t, Totals{LineNetCents: 1264564, TaxExclusiveCents: 1264564, VATCents: 240267, TaxInclusiveCents: 1504831, PayableCents: 1504831}, tot)
}

// TestSkonto covers the BR-DE-18 cash discount syntax.
func TestSkonto(t *testing.T) {
	for _, tc := range []struct {
		terms string
		ok    bool
	}{
		{"Zahlbar sofort.", true},
		{"#SKONTO#TAGE=7#PROZENT=2.00#\n", true},
		{"#SKONTO#TAGE=7#PROZENT=2.00#BASISBETRAG=-12.50#\nDanach netto.", true},
		{"#SKONTO#TAGE=7#PROZENT=2.00#\n#SKONTO#TAGE=14#PROZENT=1.00#\n", true},
		{"#SKONTO#TAGE=7#PROZENT=2.00#", false},
		{"#SKONTO#TAGE=7#PROZENT=2#\n", false},
		{"#skonto#TAGE=7#PROZENT=2.00#\n", false},
		{"#SKONTO#TAGE=7#PROZENT=2,00#\n", false},
	} {
		require.Equal(t, tc.ok, skontoProblem(tc.terms) == "", "%q: %s", tc.terms, skontoProblem(tc.terms))
	}
}
