package xrechnung

// XRechnung 3.0 CIUS rules (BR-DE-*, BR-TMP-2), the scenario check and the rules of the
// XRechnung extension (BR-DEX-*), after itplr-kosit/xrechnung-schematron v2.5.0.

import (
	"fmt"
	"math/big"
	"regexp"
)

// xrechnungIDs are the specification identifiers of XRechnung 3.0 (CIUS, extension, CVD).
var xrechnungIDs = []string{CustomizationXRechnung, CustomizationXRechnungExtension, CustomizationXRechnungCVD}

// checkScenario reports SCENARIO when the CustomizationID does not name XRechnung 3.0: the
// official validator then has no XRechnung scenario for the document and rejects it. BR-DE-21
// is the corresponding (warning) rule of the XRechnung schematron.
func (c *checker) checkScenario() {
	ids := c.root.children("cbc:CustomizationID")
	ok := false
	for _, id := range ids {
		for _, x := range xrechnungIDs {
			ok = ok || id.value() == x
		}
	}
	if ok {
		return
	}
	got := "none"
	if len(ids) > 0 {
		got = fmt.Sprintf("%q", ids[0].value())
	}
	c.fail("SCENARIO", c.root, "The specification identifier (BT-24) %s does not name XRechnung 3.0 (%s); no XRechnung validation scenario applies.", got, CustomizationXRechnung)
	c.warn("BR-DE-21", c.root, "Das Element \"Specification identifier\" (BT-24) soll syntaktisch der Kennung des Standards XRechnung entsprechen.")
}

var (
	xrTypeCodes      = newCodeList("326 380 384 389 381 875 876 877")
	xrVATCodes       = newCodeList("S Z E AE K G L M")
	telephonePattern = regexp.MustCompile(`([0-9].*){3,}`)
	urlPattern       = regexp.MustCompile(`^([a-zA-Z])([a-zA-Z0-9+.-])+:.*`)
)

// checkGerman implements the document, party and tax breakdown rules of the XRechnung CIUS.
func (c *checker) checkGerman() {
	r := c.root
	c.assert(r.has("cac:PaymentMeans"), "BR-DE-1", r, "Eine Rechnung (INVOICE) muss Angaben zu \"PAYMENT INSTRUCTIONS\" (BG-16) enthalten.")
	c.assert(r.nonBlank("cbc:BuyerReference"), "BR-DE-15", r, "Das Element \"Buyer reference\" (BT-10) muss übermittelt werden.")
	c.checkSellerTaxID()
	typeOK := false
	for _, tc := range append(r.children("cbc:InvoiceTypeCode"), r.children("cbc:CreditNoteTypeCode")...) {
		typeOK = typeOK || xrTypeCodes.has(tc.value())
	}
	if !typeOK {
		c.warn("BR-DE-17", r, "Mit dem Element \"Invoice type code\" (BT-3) sollen ausschließlich folgende Codes aus der Codeliste UNTDID 1001 übermittelt werden: 326, 380, 384, 389, 381, 875, 876, 877.")
	}
	for _, pt := range r.children("cac:PaymentTerms") {
		if note := pt.first("cbc:Note"); note != nil {
			if p := skontoProblem(note.value()); p != "" {
				c.fail("BR-DE-18", note, "Skonto-Angaben in \"Payment terms\" (BT-20) müssen der Syntax #SKONTO#TAGE=n#PROZENT=n.nn#[BASISBETRAG=n.nn#] mit abschließendem Zeilenumbruch folgen: %s.", p)
			}
		}
	}
	seen := map[string]bool{}
	for _, d := range r.children("cac:AdditionalDocumentReference") {
		for _, obj := range d.all("cac:Attachment/cbc:EmbeddedDocumentBinaryObject") {
			if name, ok := obj.attr("filename"); ok {
				c.assert(!seen[name], "BR-DE-22", obj, "Das \"filename\"-Attribut aller \"EmbeddedDocumentBinaryObject\"-Elemente muss eindeutig sein.")
				seen[name] = true
			}
		}
		for _, ext := range d.all("cac:Attachment/cac:ExternalReference") {
			if !urlPattern.MatchString(ext.val("cbc:URI")) {
				c.warn("BR-TMP-2", ext, "BT-124 \"External document location\" muss eine absolute URL mit gültigem Schema enthalten.")
			}
		}
	}
	if (r.val("cbc:InvoiceTypeCode") == TypeCorrectedInvoice || r.val("cbc:CreditNoteTypeCode") == TypeCorrectedInvoice) &&
		!r.has("cac:BillingReference/cac:InvoiceDocumentReference") {
		c.warn("BR-DE-26", r, "Wenn im Element \"Invoice type code\" (BT-3) der Code 384 (Corrected invoice) übergeben wird, soll PRECEDING INVOICE REFERENCE BG-3 mind. einmal vorhanden sein.")
	}
	if r.has("cac:PaymentMeans/cac:PaymentMandate") {
		sepaID := false
		for _, id := range append(r.all("cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID"), r.all("cac:PayeeParty/cac:PartyIdentification/cbc:ID")...) {
			if s, ok := id.attr("schemeID"); ok && s == "SEPA" {
				sepaID = true
			}
		}
		c.assert(sepaID, "BR-DE-30", r, "Wenn \"DIRECT DEBIT\" BG-19 vorhanden ist, dann muss \"Bank assigned creditor identifier\" BT-90 übermittelt werden.")
		c.assert(r.has("cac:PaymentMeans/cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID"), "BR-DE-31", r, "Wenn \"DIRECT DEBIT\" BG-19 vorhanden ist, dann muss \"Debited account identifier\" BT-91 übermittelt werden.")
	}
	for _, sp := range r.children("cac:AccountingSupplierParty") {
		c.assert(sp.has("cac:Party/cac:Contact"), "BR-DE-2", sp, "Die Gruppe \"SELLER CONTACT\" (BG-6) muss übermittelt werden.")
	}
	for _, a := range r.all("cac:AccountingSupplierParty/cac:Party/cac:PostalAddress") {
		c.assert(a.nonBlank("cbc:CityName"), "BR-DE-3", a, "Das Element \"Seller city\" (BT-37) muss übermittelt werden.")
		c.assert(a.nonBlank("cbc:PostalZone"), "BR-DE-4", a, "Das Element \"Seller post code\" (BT-38) muss übermittelt werden.")
	}
	for _, ct := range r.all("cac:AccountingSupplierParty/cac:Party/cac:Contact") {
		c.assert(ct.nonBlank("cbc:Name"), "BR-DE-5", ct, "Das Element \"Seller contact point\" (BT-41) muss übermittelt werden.")
		c.assert(ct.nonBlank("cbc:Telephone"), "BR-DE-6", ct, "Das Element \"Seller contact telephone number\" (BT-42) muss übermittelt werden.")
		c.assert(ct.nonBlank("cbc:ElectronicMail"), "BR-DE-7", ct, "Das Element \"Seller contact email address\" (BT-43) muss übermittelt werden.")
		if !telephonePattern.MatchString(ct.val("cbc:Telephone")) {
			c.warn("BR-DE-27", ct, "In BT-42 sollen mindestens drei Ziffern enthalten sein.")
		}
		if !emailPattern.MatchString(ct.val("cbc:ElectronicMail")) {
			c.warn("BR-DE-28", ct, "In BT-43 soll genau ein @-Zeichen enthalten sein, welches nicht von einem Leerzeichen, einem Punkt, aber mindestens zwei Zeichen auf beiden Seiten flankiert werden soll.")
		}
	}
	for _, a := range r.all("cac:AccountingCustomerParty/cac:Party/cac:PostalAddress") {
		c.assert(a.nonBlank("cbc:CityName"), "BR-DE-8", a, "Das Element \"Buyer city\" (BT-52) muss übermittelt werden.")
		c.assert(a.nonBlank("cbc:PostalZone"), "BR-DE-9", a, "Das Element \"Buyer post code\" (BT-53) muss übermittelt werden.")
	}
	for _, a := range r.all("cac:Delivery/cac:DeliveryLocation/cac:Address") {
		c.assert(a.nonBlank("cbc:CityName"), "BR-DE-10", a, "Das Element \"Deliver to city\" (BT-77) muss übermittelt werden, wenn die Gruppe \"DELIVER TO ADDRESS\" (BG-15) übermittelt wird.")
		c.assert(a.nonBlank("cbc:PostalZone"), "BR-DE-11", a, "Das Element \"Deliver to post code\" (BT-78) muss übermittelt werden, wenn die Gruppe \"DELIVER TO ADDRESS\" (BG-15) übermittelt wird.")
	}
	for _, s := range r.all("cac:TaxTotal/cac:TaxSubtotal") {
		c.assert(s.nonBlank("cac:TaxCategory/cbc:Percent"), "BR-DE-14", s, "Das Element \"VAT category rate\" (BT-119) muss übermittelt werden.")
	}
}

// checkSellerTaxID implements BR-DE-16: VAT categories S, Z, E, AE, K, G, L and M on lines,
// allowances or charges need the seller's VAT identifier or tax number, or a tax representative.
func (c *checker) checkSellerTaxID() {
	r := c.root
	used := false
	for _, ac := range r.children("cac:AllowanceCharge") {
		flagged := false // BT-95 and BT-102 select ChargeIndicator 'false' and 'true' literally
		for _, ind := range ac.children("cbc:ChargeIndicator") {
			flagged = flagged || ind.value() == "false" || ind.value() == "true"
		}
		for _, id := range ac.all("cac:TaxCategory/cbc:ID") {
			_, ok := xrVATCodes[id.value()]
			used = used || (flagged && ok)
		}
	}
	for _, l := range c.lines {
		for _, id := range l.all("cac:Item/cac:ClassifiedTaxCategory/cbc:ID") {
			_, ok := xrVATCodes[id.value()]
			used = used || ok
		}
	}
	if !used {
		return
	}
	ok := r.has("cac:TaxRepresentativeParty") || r.nonBlank("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID")
	c.assert(ok, "BR-DE-16", r, "Wenn in einer Rechnung die Steuercodes S, Z, E, AE, K, G, L oder M verwendet werden, muss mindestens eines der Elemente \"Seller VAT identifier\" (BT-31), \"Seller tax registration identifier\" (BT-32) oder \"SELLER TAX REPRESENTATIVE PARTY\" (BG-11) übermittelt werden.")
}

// checkGermanPayment implements the XRechnung rules on payment means groups (BR-DE-19,
// BR-DE-20, BR-DE-23-a/b, BR-DE-24-a/b, BR-DE-25-a/b).
func (c *checker) checkGermanPayment() {
	for _, pm := range c.root.children("cac:PaymentMeans") {
		code := pm.val("cbc:PaymentMeansCode")
		card, mandate, credit := pm.has("cac:CardAccount"), pm.has("cac:PaymentMandate"), pm.has("cac:PayeeFinancialAccount")
		switch code {
		case "30", "58":
			if code == "58" && !validIBAN(pm.first("cac:PayeeFinancialAccount/cbc:ID").value()) {
				c.warn("BR-DE-19", pm, "\"Payment account identifier\" (BT-84) soll eine korrekte IBAN enthalten, wenn in \"Payment means type code\" (BT-81) mit dem Code 58 SEPA als Zahlungsmittel gefordert wird.")
			}
			c.assert(credit, "BR-DE-23-a", pm, "Wenn BT-81 \"Payment means type code\" einen Schlüssel für Überweisungen enthält (30, 58), muss BG-17 \"CREDIT TRANSFER\" übermittelt werden.")
			c.assert(!card && !mandate, "BR-DE-23-b", pm, "Wenn BT-81 \"Payment means type code\" einen Schlüssel für Überweisungen enthält (30, 58), dürfen BG-18 und BG-19 nicht übermittelt werden.")
		case "48", "54", "55":
			c.assert(card, "BR-DE-24-a", pm, "Wenn BT-81 \"Payment means type code\" einen Schlüssel für Kartenzahlungen enthält (48, 54, 55), muss genau BG-18 \"PAYMENT CARD INFORMATION\" übermittelt werden.")
			c.assert(!credit && !mandate, "BR-DE-24-b", pm, "Wenn BT-81 \"Payment means type code\" einen Schlüssel für Kartenzahlungen enthält (48, 54, 55), dürfen BG-17 und BG-19 nicht übermittelt werden.")
		case "59":
			if !validIBAN(pm.first("cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID").value()) {
				c.warn("BR-DE-20", pm, "\"Debited account identifier\" (BT-91) soll eine korrekte IBAN enthalten, wenn in \"Payment means type code\" (BT-81) mit dem Code 59 SEPA als Zahlungsmittel gefordert wird.")
			}
			c.assert(mandate, "BR-DE-25-a", pm, "Wenn BT-81 \"Payment means type code\" einen Schlüssel für Lastschriften enthält (59), muss genau BG-19 \"DIRECT DEBIT\" übermittelt werden.")
			c.assert(!credit && !card, "BR-DE-25-b", pm, "Wenn BT-81 \"Payment means type code\" einen Schlüssel für Lastschriften enthält (59), dürfen BG-17 und BG-18 nicht übermittelt werden.")
		}
	}
}

// allowedExtensionMIME are the attachment MIME codes of BR-DEX-01.
var allowedExtensionMIME = newCodeList("application/pdf image/png image/jpeg text/csv " +
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet " +
	"application/vnd.oasis.opendocument.spreadsheet application/xml")

// checkExtension implements the rules of the XRechnung extension (BR-DEX-*), which apply only
// when the CustomizationID names the extension.
func (c *checker) checkExtension() {
	if !c.extension {
		return
	}
	r := c.root
	r.walk(func(n *node) {
		scheme, hasScheme := n.attr("schemeID")
		switch {
		case n.is("cbc:EmbeddedDocumentBinaryObject"):
			mime, _ := n.attr("mimeCode")
			_, allowed := allowedExtensionMIME[mime]
			c.assert(allowed, "BR-DEX-01", n, fmt.Sprintf("Das Element \"Attached Document\" (BT-125) benutzt einen nicht zulässigen MIME-Code: %s.", mime))
		case !hasScheme:
		case n.is("cbc:ID") && n.parent.is("cac:PartyIdentification"):
			sepa := normalizeSpace(scheme) == "SEPA" && (n.hasAncestor("cac:AccountingSupplierParty") || n.hasAncestor("cac:PayeeParty"))
			c.assert(icdCodes.has(scheme) || xrechnungExtensionSchemes.has(scheme) || sepa, "BR-DEX-04", n, "Any scheme identifier MUST be coded using one of the ISO 6523 ICD list.")
		case n.is("cbc:CompanyID") && n.parent.is("cac:PartyLegalEntity"):
			c.assert(icdCodes.has(scheme) || xrechnungExtensionSchemes.has(scheme), "BR-DEX-05", n, "Any scheme identifier MUST be coded using one of the ISO 6523 ICD list.")
		case n.is("cbc:ID") && n.parent.is("cac:StandardItemIdentification"):
			c.assert(icdCodes.has(scheme) || xrechnungExtensionSchemes.has(scheme), "BR-DEX-06", n, "Any scheme identifier MUST be coded using one of the ISO 6523 ICD list.")
		case n.is("cbc:EndpointID"):
			c.assert(easCodes.has(scheme) || xrechnungExtensionSchemes.has(scheme), "BR-DEX-07", n, "Any scheme identifier for an Endpoint Identifier MUST belong to the CEF EAS code list.")
		case n.is("cbc:ID") && n.parent.is("cac:DeliveryLocation"):
			c.assert(icdCodes.has(scheme) || xrechnungExtensionSchemes.has(scheme), "BR-DEX-08", n, "Any scheme identifier for a Delivery location identifier MUST be coded using one of the ISO 6523 ICD list.")
		}
	})
	if !c.credit {
		c.checkSubLines()
		for _, pp := range r.children("cac:PrepaidPayment") {
			c.assert(pp.nonBlank("cbc:ID"), "BR-DEX-10", pp, "Das Element \"Third party payment type\" BT-DEX-001 muss übermittelt werden, wenn die Gruppe \"THIRD PARTY PAYMENT\" (BG-DEX-09) übermittelt wird.")
			c.assert(pp.nonBlank("cbc:PaidAmount"), "BR-DEX-11", pp, "Das Element \"Third party payment amount\" BT-DEX-002 muss übermittelt werden, wenn die Gruppe \"THIRD PARTY PAYMENT\" (BG-DEX-09) übermittelt wird.")
			c.assert(pp.nonBlank("cbc:InstructionID"), "BR-DEX-12", pp, "Das Element \"Third party payment description\" BT-DEX-003 muss übermittelt werden, wenn die Gruppe \"THIRD PARTY PAYMENT\" (BG-DEX-09) übermittelt wird.")
			c.assert(fractionDigits(pp.first("cbc:PaidAmount").value()) <= 2, "BR-DEX-13", pp, "Die maximale Anzahl zulässiger Nachkommastellen für das Element \"Third party payment amount\" (BT-DEX-002) ist 2.")
			cur, _ := pp.first("cbc:PaidAmount").attr("currencyID")
			c.assert(pp.has("cbc:PaidAmount") && cur == r.first("cbc:DocumentCurrencyCode").value(), "BR-DEX-14", pp, "Die Währungsangabe von \"Third party payment amount\" BT-DEX-002 muss BT-5 (\"Invoice currency code\") entsprechen.")
		}
	}
	for _, t := range r.descendants("cac:LegalMonetaryTotal") {
		c.checkThirdPartyPayable(t)
	}
}

// checkThirdPartyPayable implements BR-DEX-09, which replaces BR-CO-16 in the extension:
// BT-115 = BT-112 - BT-113 + BT-114 + Σ third party payment amounts (BT-DEX-002).
func (c *checker) checkThirdPartyPayable(t *node) {
	pay, okP := decimalOf(t.first("cbc:PayableAmount"))
	incl, okI := decimalOf(t.first("cbc:TaxInclusiveAmount"))
	ok := okP && okI
	optional := func(n *node) *big.Rat {
		if n == nil {
			return new(big.Rat)
		}
		v, okV := decimalOf(n)
		if !okV {
			ok = false
			return new(big.Rat)
		}
		return v
	}
	prepaid := optional(t.first("cbc:PrepaidAmount"))
	rounding := optional(t.first("cbc:PayableRoundingAmount"))
	thirdParty := new(big.Rat)
	if t.parent != nil {
		paid := t.parent.all("cac:PrepaidPayment/cbc:PaidAmount")
		if t.parent.nonBlank("cac:PrepaidPayment/cbc:PaidAmount") {
			sum, okS := sumOf(paid)
			ok = ok && okS
			if okS {
				thirdParty = sum
			}
		}
	}
	if ok {
		ok = round2(sub(pay, rounding)).Cmp(round2(add(sub(incl, prepaid), thirdParty))) == 0
	}
	c.assert(ok, "BR-DEX-09", t, "Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112) - Paid amount (BT-113) + Rounding amount (BT-114) + Σ Third party payment amount (BT-DEX-002).")
}

// checkSubLines implements BR-DEX-02 (warning) and BR-DEX-03 on sub invoice lines.
func (c *checker) checkSubLines() {
	sumMatches := func(n *node) bool {
		net, ok := decimalOf(n.first("cbc:LineExtensionAmount"))
		sum, okS := sumOf(n.all("cac:SubInvoiceLine/cbc:LineExtensionAmount"))
		return ok && okS && net.Cmp(sum) == 0
	}
	ok := true
	for _, l := range c.root.children("cac:InvoiceLine") {
		if l.has("cac:SubInvoiceLine") {
			ok = ok && sumMatches(l)
		}
	}
	for _, s := range c.root.descendants("cac:SubInvoiceLine") {
		if s.has("cac:SubInvoiceLine") {
			ok = ok && sumMatches(s)
		}
	}
	if !ok {
		c.warn("BR-DEX-02", c.root, "Der Wert von \"Invoice line net amount\" (BT-131) einer \"INVOICE LINE\" (BG-25) oder einer \"SUB INVOICE LINE\" (BG-DEX-01) soll der Summe der \"Invoice line net amount\" (BT-131) der direkt darunterliegenden \"SUB INVOICE LINE\" (BG-DEX-01) entsprechen.")
	}
	for _, s := range c.root.descendants("cac:SubInvoiceLine") {
		for _, item := range s.children("cac:Item") {
			c.assert(len(item.children("cac:ClassifiedTaxCategory")) == 1, "BR-DEX-03", item, "Eine Sub Invoice Line (BG-DEX-01) muss genau eine \"SUB INVOICE LINE VAT INFORMATION\" (BG-DEX-06) enthalten.")
		}
	}
}
