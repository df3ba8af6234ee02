package xrechnung

// EN 16931 code list rules (BR-CL-*); the lists are in codelists.go.

import (
	"strings"
)

// codeList is a set of codes.
type codeList map[string]struct{}

// newCodeList builds a code list from space-separated codes.
func newCodeList(codes string) codeList {
	l := codeList{}
	for _, c := range strings.Fields(codes) {
		l[c] = struct{}{}
	}
	return l
}

// has reports whether normalize-space(v) is one code of the list, as the BR-CL assertions test.
func (l codeList) has(v string) bool {
	_, ok := l[normalizeSpace(v)]
	return ok
}

// xrechnungExtensionSchemes are the additional identifier and address schemes the XRechnung
// extension allows (BR-DEX-04 … 08).
var xrechnungExtensionSchemes = newCodeList("XR01 XR02 XR03")

// taxPointDateCodes is the UNTDID 2005 subset of BR-CL-06.
var taxPointDateCodes = newCodeList("3 35 432")

// amountElements are the amount elements whose currencyID BR-CL-03 checks.
var amountElements = []string{
	"cbc:Amount", "cbc:BaseAmount", "cbc:PriceAmount", "cbc:TaxAmount", "cbc:TaxableAmount",
	"cbc:LineExtensionAmount", "cbc:TaxExclusiveAmount", "cbc:TaxInclusiveAmount",
	"cbc:AllowanceTotalAmount", "cbc:ChargeTotalAmount", "cbc:PrepaidAmount",
	"cbc:PayableRoundingAmount", "cbc:PayableAmount",
}

// checkCodeLists implements the BR-CL rules for the code lists in codelists.go.
func (c *checker) checkCodeLists() {
	// In the XRechnung extension BR-DEX-04 … 08 replace the scheme identifier rules.
	schemeRulesReplaced := c.extension && c.profile == XRechnung
	c.root.walk(func(n *node) {
		switch {
		case n.is("cbc:InvoiceTypeCode"):
			c.assert(invoiceTypeCodes.has(n.value()), "BR-CL-01", n, "The document type code MUST be coded by the invoice and credit note related code lists of UNTDID 1001.")
		case n.is("cbc:CreditNoteTypeCode"):
			c.assert(creditNoteTypeCodes.has(n.value()), "BR-CL-01", n, "The document type code MUST be coded by the invoice and credit note related code lists of UNTDID 1001.")
		case n.is("cbc:DocumentCurrencyCode"):
			c.assert(currencyCodes.has(n.value()), "BR-CL-04", n, "Invoice currency code MUST be coded using ISO code list 4217 alpha-3.")
		case n.is("cbc:TaxCurrencyCode"):
			c.assert(currencyCodes.has(n.value()), "BR-CL-05", n, "Tax currency code MUST be coded using ISO code list 4217 alpha-3.")
		case n.is("cbc:DescriptionCode") && n.parent.is("cac:InvoicePeriod"):
			c.assert(taxPointDateCodes.has(n.value()), "BR-CL-06", n, "Value added tax point date code MUST be coded using a restriction of UNTDID 2005.")
		case n.is("cbc:IdentificationCode") && n.parent.is("cac:Country"):
			c.assert(countryCodes.has(n.value()), "BR-CL-14", n, "Country codes in an invoice MUST be coded using ISO code list 3166-1.")
		case n.is("cbc:IdentificationCode") && n.parent.is("cac:OriginCountry"):
			c.assert(countryCodes.has(n.value()), "BR-CL-15", n, "Country codes in an invoice MUST be coded using ISO code list 3166-1.")
		case n.is("cbc:PaymentMeansCode") && n.parent.is("cac:PaymentMeans"):
			c.assert(paymentMeansCodes.has(n.value()), "BR-CL-16", n, "Payment means in an invoice MUST be coded using UNCL4461 code list.")
		case n.is("cbc:ID") && n.parent.is("cac:TaxCategory"):
			c.assert(taxCategoryCodes.has(n.value()), "BR-CL-17", n, "Invoice tax categories MUST be coded using UNCL5305 code list.")
		case n.is("cbc:ID") && n.parent.is("cac:ClassifiedTaxCategory"):
			c.assert(taxCategoryCodes.has(n.value()), "BR-CL-18", n, "Invoice tax categories MUST be coded using UNCL5305 code list.")
		case n.is("cbc:TaxExemptionReasonCode"):
			c.assert(vatexCodes.has(n.value()), "BR-CL-22", n, "Tax exemption reason code identifier scheme identifier MUST belong to the CEF VATEX code list.")
		case n.is("cbc:InvoicedQuantity") || n.is("cbc:CreditedQuantity") || n.is("cbc:BaseQuantity"):
			if u, ok := n.attr("unitCode"); ok {
				c.assert(unitCodes.has(u), "BR-CL-23", n, "Unit code MUST be coded according to the UN/ECE Recommendation 20 with Rec 21 extension.")
			}
		}
		for _, a := range amountElements {
			if n.is(a) {
				cur, _ := n.attr("currencyID")
				c.assert(currencyCodes.has(cur), "BR-CL-03", n, "currencyID MUST be coded using ISO code list 4217 alpha-3.")
			}
		}
		if schemeRulesReplaced {
			return
		}
		scheme, hasScheme := n.attr("schemeID")
		if !hasScheme {
			return
		}
		switch {
		case n.is("cbc:ID") && n.parent.is("cac:PartyIdentification"):
			sepa := normalizeSpace(scheme) == "SEPA" && (n.hasAncestor("cac:AccountingSupplierParty") || n.hasAncestor("cac:PayeeParty"))
			c.assert(icdCodes.has(scheme) || sepa, "BR-CL-10", n, "Any identifier identification scheme identifier MUST be coded using one of the ISO 6523 ICD list.")
		case n.is("cbc:CompanyID") && n.parent.is("cac:PartyLegalEntity"):
			c.assert(icdCodes.has(scheme), "BR-CL-11", n, "Any registration identifier identification scheme identifier MUST be coded using one of the ISO 6523 ICD list.")
		case n.is("cbc:ID") && n.parent.is("cac:StandardItemIdentification"):
			c.assert(icdCodes.has(scheme), "BR-CL-21", n, "Item standard identifier scheme identifier MUST belong to the ISO 6523 ICD code list.")
		case n.is("cbc:EndpointID"):
			c.assert(easCodes.has(scheme), "BR-CL-25", n, "Endpoint identifier scheme identifier MUST belong to the CEF EAS code list.")
		case n.is("cbc:ID") && n.parent.is("cac:DeliveryLocation"):
			c.assert(icdCodes.has(scheme), "BR-CL-26", n, "Delivery location identifier scheme identifier MUST belong to the ISO 6523 ICD code list.")
		}
	})
}
