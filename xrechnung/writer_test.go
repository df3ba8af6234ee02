package xrechnung

import (
	"bytes"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/internal/xsdtest"
	"github.com/stretchr/testify/require"
)

// seller returns the Anbieter of the fixtures.
func seller() Party {
	return Party{
		Name:              "govdigital eG",
		TradingName:       "govdigital",
		Street:            "Karl-Liebknecht-Straße 5",
		City:              "Berlin",
		PostalCode:        "10178",
		CountryCode:       "DE",
		ElectronicAddress: ElectronicAddress{Scheme: SchemeEmail, Value: "rechnung@govdigital.example"},
		VATID:             "DE123456789",
		RegistrationID:    "GnR 1234 B",
		LegalInfo:         "Genossenschaftsregister Amtsgericht Charlottenburg",
		Contact:           Contact{Name: "Buchhaltung", Phone: "+49 30 1234567", Email: "buchhaltung@govdigital.example"},
	}
}

// buyer returns the public customer of the fixtures.
func buyer() Party {
	return Party{
		Name:               "Stadt Musterstadt",
		Street:             "Rathausplatz 1",
		City:               "Musterstadt",
		PostalCode:         "12345",
		CountryCode:        "DE",
		CountrySubdivision: "Brandenburg",
		ElectronicAddress:  ElectronicAddress{Scheme: SchemeLeitwegID, Value: "991-12345-67"},
		Contact:            Contact{Name: "Kämmerei", Email: "kaemmerei@musterstadt.example"},
	}
}

// standardInvoice is an annual usage invoice at 19 %.
func standardInvoice() *Invoice {
	return &Invoice{
		Number:            "RE-2026-0001",
		IssueDate:         "2026-01-15",
		TypeCode:          TypeCommercialInvoice,
		BuyerReference:    "991-12345-67",
		ContractReference: "agreement-4711",
		Note:              "Jahresrechnung Nutzungsvereinbarung",
		PeriodStart:       "2026-01-01",
		PeriodEnd:         "2026-12-31",
		Seller:            seller(),
		Buyer:             buyer(),
		Payment: Payment{
			MeansCode:      MeansSEPACreditTransfer,
			IBAN:           "DE02 1203 0000 0000 2020 51",
			BIC:            "BYLADEM1001",
			AccountName:    "govdigital eG",
			RemittanceInfo: "RE-2026-0001",
		},
		PaymentTerms: "Zahlbar innerhalb von 30 Tagen ohne Abzug.",
		DueDate:      "2026-02-14",
		Lines: []Line{
			{ID: "1", Name: "Nutzungsentgelt Onlinedienst Wohngeld", Description: "EfA-Dienst, Jahrespauschale",
				QuantityMilli: 1000, UnitCode: "ANN", PriceCents: 1234567, NetCents: 1234567,
				PeriodStart: "2026-01-01", PeriodEnd: "2026-12-31"},
			{ID: "2", Name: "Betriebskosten", QuantityMilli: 3000, UnitCode: "C62", PriceCents: 9999, NetCents: 29997},
		},
		VAT: VAT{Category: VATStandard, RateBasisPoints: 1900},
	}
}

// writerCases are the invoices TestMarshalValidates marshals.
func writerCases() map[string]*Invoice {
	notSubject := standardInvoice()
	notSubject.Number = "RE-2026-0002"
	notSubject.Seller.VATID = ""
	notSubject.Seller.TaxNumber = "30/123/45678"
	notSubject.VAT = VAT{Category: VATNotSubject, ExemptionReason: "Nicht steuerbar: hoheitliche Tätigkeit (§ 2b UStG)", ExemptionReasonCode: "VATEX-EU-O"}

	corrected := standardInvoice()
	corrected.Number = "RE-2026-0003"
	corrected.TypeCode = TypeCorrectedInvoice
	corrected.Preceding = []Reference{{Number: "RE-2026-0001", IssueDate: "2026-01-15"}}
	corrected.PaymentTerms = "#SKONTO#TAGE=14#PROZENT=2.00#\n#SKONTO#TAGE=30#PROZENT=0.00#\n"

	credit := standardInvoice()
	credit.Number = "GS-2026-0001"
	credit.TypeCode = TypeCreditNote
	credit.Preceding = []Reference{{Number: "RE-2026-0001", IssueDate: "2026-01-15"}}
	credit.Lines = credit.Lines[:1]
	credit.Lines[0].Name = "Gutschrift Nutzungsentgelt (anteilig)"
	credit.Lines[0].QuantityMilli = 250
	credit.Lines[0].NetCents = LineNet(250, credit.Lines[0].PriceCents)
	credit.Lines[0].PeriodStart, credit.Lines[0].PeriodEnd = "2026-10-01", "2026-12-31"
	credit.PaymentTerms = ""

	oneDay := standardInvoice()
	oneDay.Number = "RE-2026-0004"
	oneDay.PeriodStart, oneDay.PeriodEnd = "2026-03-03", "2026-03-03"
	oneDay.Lines = []Line{{Name: "Schulung <Tagessatz> & \"Reisekosten\" 'pauschal'", QuantityMilli: 1000, UnitCode: "DAY",
		PriceCents: 250, NetCents: 250, PeriodStart: "2026-03-03", PeriodEnd: "2026-03-03"}}

	return map[string]*Invoice{
		"standard-19": standardInvoice(), "not-subject-O": notSubject, "corrected-384": corrected,
		"credit-note-381": credit, "one-day-cent-odd-vat": oneDay,
	}
}

// TestMarshalValidates marshals typical invoices and requires that they break no implemented
// rule of either profile and are valid against the UBL 2.1 schemas.
func TestMarshalValidates(t *testing.T) {
	docs := map[string][]byte{}
	for name, inv := range writerCases() {
		t.Run(name, func(t *testing.T) {
			doc, err := Marshal(inv)
			require.NoError(t, err)
			require.Empty(t, Check(doc, XRechnung), "XRechnung violations in\n%s", doc)
			require.Empty(t, Check(doc, EN16931), "EN 16931 violations in\n%s", doc)
			docs[name] = doc
		})
	}
	require.Len(t, docs, len(writerCases()))
	xsdtest.RequireValid(t, xsdtest.Write(t, docs))
}

// TestMarshalContent spot-checks the computed totals, the document kinds and escaping.
func TestMarshalContent(t *testing.T) {
	cases := writerCases()
	tests := []struct {
		name     string
		contains []string
		absent   []string
	}{
		{"standard-19", []string{
			`<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"`,
			`<cbc:CustomizationID>` + CustomizationXRechnung + `</cbc:CustomizationID>`,
			`<cbc:ProfileID>` + DefaultProcessID + `</cbc:ProfileID>`,
			`<cbc:LineExtensionAmount currencyID="EUR">12645.64</cbc:LineExtensionAmount>`,
			`<cbc:TaxAmount currencyID="EUR">2402.67</cbc:TaxAmount>`, // 12645.64 × 19 % = 2402.6716
			`<cbc:PayableAmount currencyID="EUR">15048.31</cbc:PayableAmount>`,
			`<cbc:ID>DE02120300000000202051</cbc:ID>`,
			`<cbc:InvoicedQuantity unitCode="ANN">1</cbc:InvoicedQuantity>`,
			`<cbc:Percent>19</cbc:Percent>`,
		}, []string{"CreditNote"}},
		{"credit-note-381", []string{
			`<ubl:CreditNote xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"`,
			`<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>`,
			`<cbc:CreditedQuantity unitCode="ANN">0.25</cbc:CreditedQuantity>`,
			`<cbc:PaymentDueDate>2026-02-14</cbc:PaymentDueDate>`,
			`<cac:InvoiceDocumentReference>`,
		}, []string{"<cbc:DueDate>", "InvoiceLine", "-"}},
		{"not-subject-O", []string{
			`<cbc:TaxExemptionReasonCode>VATEX-EU-O</cbc:TaxExemptionReasonCode>`,
			`<cbc:CompanyID>30/123/45678</cbc:CompanyID>`,
			`<cbc:ID>FC</cbc:ID>`,
		}, []string{"DE123456789"}},
		{"one-day-cent-odd-vat", []string{
			`<cbc:TaxAmount currencyID="EUR">0.48</cbc:TaxAmount>`, // 2.50 × 19 % = 0.475, half up
			`<cbc:Name>Schulung &lt;Tagessatz&gt; &amp; &#34;Reisekosten&#34; &#39;pauschal&#39;</cbc:Name>`,
			`<cbc:ID>1</cbc:ID>`,
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Marshal(cases[tc.name])
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(doc, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n")))
			for _, s := range tc.contains {
				require.Contains(t, string(doc), s)
			}
			for _, s := range tc.absent {
				if s == "-" { // no negative amounts in a credit note
					require.NotContains(t, string(doc), `">-`)
					continue
				}
				require.NotContains(t, string(doc), s)
			}
		})
	}
}

// TestMarshalDeterministic requires identical bytes for identical input.
func TestMarshalDeterministic(t *testing.T) {
	for name, inv := range writerCases() {
		t.Run(name, func(t *testing.T) {
			a, err := Marshal(inv)
			require.NoError(t, err)
			b, err := Marshal(inv)
			require.NoError(t, err)
			require.Equal(t, a, b)
			fresh := writerCases()[name]
			c, err := Marshal(fresh)
			require.NoError(t, err)
			require.Equal(t, a, c)
		})
	}
}

// TestCheckDetectsMutations breaks a valid marshalled invoice in one place and requires the
// matching rule to fire.
func TestCheckDetectsMutations(t *testing.T) {
	doc, err := Marshal(standardInvoice())
	require.NoError(t, err)
	require.Empty(t, Check(doc, XRechnung))
	tests := []struct {
		name     string
		old, new string
		rules    []string
	}{
		{"no buyer reference", "<cbc:BuyerReference>991-12345-67</cbc:BuyerReference>", "", []string{"BR-DE-15"}},
		{"no seller contact phone", "<cbc:Telephone>+49 30 1234567</cbc:Telephone>", "", []string{"BR-DE-6"}},
		{"no seller contact", "<cac:Contact>\n        <cbc:Name>Buchhaltung</cbc:Name>\n        <cbc:Telephone>+49 30 1234567</cbc:Telephone>\n        <cbc:ElectronicMail>buchhaltung@govdigital.example</cbc:ElectronicMail>\n      </cac:Contact>", "", []string{"BR-DE-2"}},
		{"payable off by one cent", `<cbc:PayableAmount currencyID="EUR">15048.31<`, `<cbc:PayableAmount currencyID="EUR">15048.32<`, []string{"BR-CO-16"}},
		{"tax inclusive off by one cent", `<cbc:TaxInclusiveAmount currencyID="EUR">15048.31<`, `<cbc:TaxInclusiveAmount currencyID="EUR">15048.30<`, []string{"BR-CO-15", "BR-CO-16"}},
		{"line sum off by one cent", `<cbc:LineExtensionAmount currencyID="EUR">12645.64<`, `<cbc:LineExtensionAmount currencyID="EUR">12645.65<`, []string{"BR-CO-10", "BR-CO-13"}},
		{"tax total off by one cent", `<cbc:TaxAmount currencyID="EUR">2402.67</cbc:TaxAmount>
    <cac:TaxSubtotal>`, `<cbc:TaxAmount currencyID="EUR">2402.68</cbc:TaxAmount>
    <cac:TaxSubtotal>`, []string{"BR-CO-14", "BR-CO-15"}},
		{"three decimals", `<cbc:PayableAmount currencyID="EUR">15048.31<`, `<cbc:PayableAmount currencyID="EUR">15048.310<`, []string{"BR-DEC-18", "UBL-DT-01"}},
		{"no seller electronic address", `<cbc:EndpointID schemeID="EM">rechnung@govdigital.example</cbc:EndpointID>`, "", []string{"PEPPOL-EN16931-R020"}},
		{"no buyer electronic address", `<cbc:EndpointID schemeID="0204">991-12345-67</cbc:EndpointID>`, "", []string{"PEPPOL-EN16931-R010"}},
		{"no business process", "<cbc:ProfileID>" + DefaultProcessID + "</cbc:ProfileID>", "", []string{"PEPPOL-EN16931-R001"}},
		{"plain EN 16931", "<cbc:CustomizationID>" + CustomizationXRechnung + "<", "<cbc:CustomizationID>urn:cen.eu:en16931:2017<", []string{"SCENARIO"}},
		{"empty element", "<cbc:Note>Jahresrechnung Nutzungsvereinbarung</cbc:Note>", "<cbc:Note> </cbc:Note>", []string{"PEPPOL-EN16931-R008"}},
		{"second tax total", "<cac:LegalMonetaryTotal>", `<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount><cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">0.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal><cac:LegalMonetaryTotal>`, []string{"PEPPOL-EN16931-R053", "BR-CO-15"}},
		{"no seller VAT identifier", "<cbc:CompanyID>DE123456789</cbc:CompanyID>", "", []string{"BR-DE-16", "BR-S-02", "UBL-SR-53"}},
		{"seller VAT id without country", "<cbc:CompanyID>DE123456789</cbc:CompanyID>", "<cbc:CompanyID>123456789</cbc:CompanyID>", []string{"BR-CO-09"}},
		{"line without name", "<cbc:Name>Betriebskosten</cbc:Name>", "", []string{"BR-25"}},
		{"unknown unit", `unitCode="C62"`, `unitCode="XYZ1"`, []string{"BR-CL-23"}},
		{"bad skonto", "<cbc:Note>Zahlbar innerhalb von 30 Tagen ohne Abzug.</cbc:Note>", "<cbc:Note>#SKONTO#TAGE=14#PROZENT=2#\n</cbc:Note>", []string{"BR-DE-18"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, string(doc), tc.old, "fixture changed")
			broken := []byte(strings.Replace(string(doc), tc.old, tc.new, 1))
			ids := ruleIDs(Check(broken, XRechnung))
			for _, r := range tc.rules {
				require.Contains(t, ids, r, "rule %s must fire; got %v", r, ids)
			}
		})
	}
	t.Run("no payment means", func(t *testing.T) {
		start := strings.Index(string(doc), "<cac:PaymentMeans>")
		end := strings.Index(string(doc), "</cac:PaymentMeans>") + len("</cac:PaymentMeans>")
		broken := string(doc[:start]) + string(doc[end:])
		require.Contains(t, ruleIDs(Check([]byte(broken), XRechnung)), "BR-DE-1")
	})
}

// TestCheckMalformed covers documents that are no UBL invoice at all.
func TestCheckMalformed(t *testing.T) {
	tests := []struct {
		name, doc, rule string
	}{
		{"not XML", "this is no XML", "XML"},
		{"unclosed", "<ubl:Invoice xmlns:ubl=\"" + nsInvoice + "\">", "XML"},
		{"two roots", "<a/><b/>", "XML"},
		{"wrong root", "<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"/>", "UBL-ROOT"},
		{"wrong namespace", "<Invoice xmlns=\"urn:example\"/>", "UBL-ROOT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs := Check([]byte(tc.doc), XRechnung)
			require.Len(t, vs, 1)
			require.Equal(t, tc.rule, vs[0].Rule)
			require.Equal(t, SeverityError, vs[0].Severity)
		})
	}
	t.Run("empty invoice", func(t *testing.T) {
		ids := ruleIDs(Check([]byte("<Invoice xmlns=\""+nsInvoice+"\"/>"), EN16931))
		for _, r := range []string{"BR-01", "BR-02", "BR-03", "BR-04", "BR-05", "BR-06", "BR-07", "BR-08", "BR-10", "BR-16", "BR-CO-18"} {
			require.Contains(t, ids, r)
		}
	})
}
