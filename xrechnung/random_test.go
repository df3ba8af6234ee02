package xrechnung

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/internal/xsdtest"
	"github.com/stretchr/testify/require"
)

// randomWords mixes German words, umlauts and the XML special characters.
var randomWords = []string{
	"Gebühr", "Straße", "Müller", "&", "Söhne", "<Test>", `"Zitat"`, "'Apostroph'", "Ärger", "Öl",
	"Übergröße", "ß", "€", "Kommune", "Landkreis", "Nutzungsentgelt", "Onlinedienst", "a<b>c", "x&amp;y",
	"Zuständigkeit", "Jahrespauschale", "§ 2b", "Leistung", "100 %", "Bürgeramt",
}

// randomText returns 1..n random words.
func randomText(r *rand.Rand, n int) string {
	words := make([]string, 1+r.IntN(n))
	for i := range words {
		words[i] = randomWords[r.IntN(len(randomWords))]
	}
	return strings.Join(words, " ")
}

// randomDate returns a date in 2020..2029 on day 1..28.
func randomDate(r *rand.Rand) (year, month, day int) {
	return 2020 + r.IntN(10), 1 + r.IntN(12), 1 + r.IntN(28)
}

// ymd formats a date.
func ymd(y, m, d int) string { return fmt.Sprintf("%04d-%02d-%02d", y, m, d) }

// randomIBAN returns a German IBAN with correct check digits.
func randomIBAN(r *rand.Rand) string {
	var bban strings.Builder
	for range 18 {
		bban.WriteByte(byte('0' + r.IntN(10)))
	}
	// check digits: 98 - (BBAN + "DE00" as digits) mod 97; D=13, E=14
	n, _ := new(big.Int).SetString(bban.String()+"131400", 10)
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("DE%02d%s", check, bban.String())
}

// randomParty returns a German party; seller parties always have a contact.
func randomParty(r *rand.Rand, seller bool) Party {
	p := Party{
		Name:        randomText(r, 4),
		Street:      randomText(r, 2) + " " + fmt.Sprint(1+r.IntN(200)),
		City:        randomText(r, 2),
		PostalCode:  fmt.Sprintf("%05d", r.IntN(100000)),
		CountryCode: "DE",
	}
	if r.IntN(2) == 0 {
		p.ElectronicAddress = ElectronicAddress{Scheme: SchemeEmail, Value: fmt.Sprintf("rechnung%d@example.de", r.IntN(1000))}
	} else {
		p.ElectronicAddress = ElectronicAddress{Scheme: SchemeLeitwegID, Value: fmt.Sprintf("%03d-%05d-%02d", r.IntN(1000), r.IntN(100000), r.IntN(100))}
	}
	if r.IntN(3) == 0 {
		p.TradingName = randomText(r, 2)
	}
	if r.IntN(3) == 0 {
		p.AdditionalStreet = randomText(r, 2)
	}
	if seller || r.IntN(2) == 0 {
		p.Contact = Contact{Name: randomText(r, 2), Phone: fmt.Sprintf("+49 %d %d", 30+r.IntN(900), 100000+r.IntN(900000)),
			Email: fmt.Sprintf("kontakt%d@example.org", r.IntN(1000))}
	}
	if seller {
		p.RegistrationID = fmt.Sprintf("HRB %d", r.IntN(100000))
		p.LegalInfo = randomText(r, 3)
	}
	return p
}

// randomInvoice builds a valid invoice of a random kind and VAT category.
func randomInvoice(r *rand.Rand, i int) *Invoice {
	y, m, d := randomDate(r)
	inv := &Invoice{
		Number:         fmt.Sprintf("RE-%d-%05d", y, i),
		IssueDate:      ymd(y, m, d),
		TypeCode:       []string{TypeCommercialInvoice, TypeCommercialInvoice, TypeCorrectedInvoice, TypeCreditNote, TypePartialInvoice}[r.IntN(5)],
		BuyerReference: fmt.Sprintf("%03d-%05d-%02d", r.IntN(1000), r.IntN(100000), r.IntN(100)),
		Seller:         randomParty(r, true),
		Buyer:          randomParty(r, false),
		Payment:        Payment{MeansCode: []string{MeansSEPACreditTransfer, MeansCreditTransfer, ""}[r.IntN(3)], IBAN: randomIBAN(r)},
	}
	if r.IntN(2) == 0 {
		inv.Note = randomText(r, 8)
	}
	if r.IntN(2) == 0 {
		inv.ContractReference = fmt.Sprintf("agreement-%d", r.IntN(1e6))
	}
	if r.IntN(2) == 0 {
		inv.Payment.BIC, inv.Payment.AccountName, inv.Payment.RemittanceInfo = "BYLADEM1001", randomText(r, 3), inv.Number
	}
	if inv.TypeCode == TypeCorrectedInvoice || inv.TypeCode == TypeCreditNote {
		inv.Preceding = []Reference{{Number: fmt.Sprintf("RE-%d-%05d", y-1, r.IntN(1e5)), IssueDate: ymd(y-1, m, d)}}
	}
	switch r.IntN(3) {
	case 0:
		inv.PaymentTerms = randomText(r, 6)
	case 1:
		inv.PaymentTerms = fmt.Sprintf("#SKONTO#TAGE=%d#PROZENT=%d.%02d#\n", 1+r.IntN(30), r.IntN(5), r.IntN(100))
		if r.IntN(2) == 0 {
			inv.PaymentTerms += "Ohne Abzug innerhalb von 30 Tagen."
		}
	}
	if inv.PaymentTerms == "" || r.IntN(2) == 0 {
		inv.DueDate = ymd(y, m, 28)
	}
	if r.IntN(2) == 0 {
		inv.PeriodStart, inv.PeriodEnd = ymd(y, 1, 1), ymd(y, 12, 31)
	}
	for range 1 + r.IntN(20) {
		l := Line{Name: randomText(r, 5), UnitCode: []string{"C62", "ANN", "MON", "HUR", "DAY", ""}[r.IntN(6)]}
		switch r.IntN(3) {
		case 0:
			l.QuantityMilli = 1000
		case 1:
			l.QuantityMilli = 1000 * (1 + r.Int64N(100))
		default:
			l.QuantityMilli = 1 + r.Int64N(100000)
		}
		l.PriceCents = r.Int64N(1_000_000_001)
		l.NetCents = LineNet(l.QuantityMilli, l.PriceCents)
		if r.IntN(3) == 0 {
			l.Description = randomText(r, 10)
		}
		if r.IntN(3) == 0 {
			l.ID = fmt.Sprintf("P%d", r.IntN(1000))
		}
		if inv.PeriodStart != "" && r.IntN(2) == 0 {
			l.PeriodStart, l.PeriodEnd = ymd(y, 1+r.IntN(6), 1), ymd(y, 7+r.IntN(6), 28)
		}
		inv.Lines = append(inv.Lines, l)
	}
	switch r.IntN(5) {
	case 0:
		inv.VAT = VAT{Category: VATStandard, RateBasisPoints: []int64{1900, 700, 1 + r.Int64N(2500)}[r.IntN(3)]}
		inv.Seller.VATID = fmt.Sprintf("DE%09d", r.IntN(1e9))
	case 1:
		inv.VAT = VAT{Category: VATZero}
		inv.Seller.TaxNumber = fmt.Sprintf("%d/%d/%d", r.IntN(100), r.IntN(1000), r.IntN(100000))
	case 2:
		inv.VAT = VAT{Category: VATExempt, ExemptionReason: "Steuerfrei nach § 4 Nr. 21 UStG – " + randomText(r, 3)}
		inv.Seller.VATID = fmt.Sprintf("DE%09d", r.IntN(1e9))
	case 3:
		inv.VAT = VAT{Category: VATReverseCharge, ExemptionReason: "Steuerschuldnerschaft des Leistungsempfängers", ExemptionReasonCode: "VATEX-EU-AE"}
		inv.Seller.VATID = fmt.Sprintf("DE%09d", r.IntN(1e9))
		inv.Buyer.VATID = fmt.Sprintf("DE%09d", r.IntN(1e9))
	default:
		inv.VAT = VAT{Category: VATNotSubject, ExemptionReasonCode: "VATEX-EU-O"}
		if r.IntN(2) == 0 {
			inv.VAT.ExemptionReason = "Nicht steuerbar (hoheitliche Tätigkeit) – " + randomText(r, 3)
		}
		if r.IntN(2) == 0 {
			inv.Seller.TaxNumber = fmt.Sprintf("%d/%d/%d", r.IntN(100), r.IntN(1000), r.IntN(100000))
		}
	}
	return inv
}

// TestRandomInvoicesValidate marshals 250 random invoices and requires that each passes Check
// under both profiles and that all are valid against the UBL 2.1 schemas (one validate-xsd run).
func TestRandomInvoicesValidate(t *testing.T) {
	r := rand.New(rand.NewPCG(20260115, 4711))
	docs := map[string][]byte{}
	kinds := map[string]int{}
	for i := range 250 {
		inv := randomInvoice(r, i)
		require.NoError(t, inv.Validate(), "invoice %d", i)
		doc, err := Marshal(inv)
		require.NoError(t, err, "invoice %d", i)
		require.Empty(t, Check(doc, XRechnung), "invoice %d violates XRechnung rules:\n%s", i, doc)
		require.Empty(t, Check(doc, EN16931), "invoice %d violates EN 16931 rules:\n%s", i, doc)
		again, err := Marshal(inv)
		require.NoError(t, err)
		require.Equal(t, doc, again, "invoice %d: Marshal is not deterministic", i)
		docs[fmt.Sprintf("random-%03d", i)] = doc
		kinds[inv.TypeCode+"/"+inv.VAT.Category]++
	}
	for _, cat := range []string{VATStandard, VATZero, VATExempt, VATReverseCharge, VATNotSubject} {
		require.Positive(t, kinds[TypeCommercialInvoice+"/"+cat]+kinds[TypeCreditNote+"/"+cat], "category %s not covered", cat)
	}
	require.Positive(t, kinds[TypeCreditNote+"/"+VATStandard]+kinds[TypeCreditNote+"/"+VATNotSubject])
	xsdtest.RequireValid(t, xsdtest.Write(t, docs))
}
