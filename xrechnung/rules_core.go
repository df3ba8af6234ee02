package xrechnung

// EN 16931 core rules: mandatory elements of the document, the parties, the payment
// instructions, the lines, allowances and charges and periods (CEN validation artefacts 1.3.15,
// UBL binding).

import (
	"strings"
)

// checkDocument implements the rules whose context is the document root.
func (c *checker) checkDocument() {
	r := c.root
	c.assert(r.val("cbc:CustomizationID") != "", "BR-01", r, "An Invoice shall have a Specification identifier (BT-24).")
	c.assert(r.val("cbc:ID") != "", "BR-02", r, "An Invoice shall have an Invoice number (BT-1).")
	c.assert(r.val("cbc:IssueDate") != "", "BR-03", r, "An Invoice shall have an Invoice issue date (BT-2).")
	c.assert(r.val("cbc:InvoiceTypeCode") != "" || r.val("cbc:CreditNoteTypeCode") != "", "BR-04", r,
		"An Invoice shall have an Invoice type code (BT-3).")
	c.assert(r.val("cbc:DocumentCurrencyCode") != "", "BR-05", r, "An Invoice shall have an Invoice currency code (BT-5).")
	c.assert(r.val("cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName") != "", "BR-06", r,
		"An Invoice shall contain the Seller name (BT-27).")
	c.assert(r.val("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName") != "", "BR-07", r,
		"An Invoice shall contain the Buyer name (BT-44).")
	c.assert(r.has("cac:AccountingSupplierParty/cac:Party/cac:PostalAddress"), "BR-08", r,
		"An Invoice shall contain the Seller postal address (BG-5).")
	c.assert(r.has("cac:AccountingCustomerParty/cac:Party/cac:PostalAddress"), "BR-10", r,
		"An Invoice shall contain the Buyer postal address (BG-8).")
	c.assert(r.has("cac:InvoiceLine") || r.has("cac:CreditNoteLine"), "BR-16", r,
		"An Invoice shall have at least one Invoice line (BG-25).")
	for _, tc := range r.children("cbc:TaxCurrencyCode") {
		found := false
		for _, ta := range r.descendants("cbc:TaxAmount") {
			if cur, ok := ta.attr("currencyID"); ok && ta.parent.is("cac:TaxTotal") && cur == tc.value() {
				found = true
			}
		}
		c.assert(found, "BR-53", r, "If the VAT accounting currency code (BT-6) is present, then the Invoice total VAT amount in accounting currency (BT-111) shall be provided.")
	}
	c.assert(!(r.has("cbc:TaxPointDate") && r.has("cac:InvoicePeriod/cbc:DescriptionCode")), "BR-CO-03", r,
		"Value added tax point date (BT-7) and Value added tax point date code (BT-8) are mutually exclusive.")
	c.assert(r.has("cac:TaxTotal/cac:TaxSubtotal"), "BR-CO-18", r, "An Invoice shall at least have one VAT breakdown group (BG-23).")
}

// checkParties implements the rules on seller, buyer, payee and tax representative.
func (c *checker) checkParties() {
	r := c.root
	for _, sp := range r.children("cac:AccountingSupplierParty") {
		ok := false
		for _, pts := range sp.all("cac:Party/cac:PartyTaxScheme") {
			ok = ok || (isVATScheme(pts) && pts.has("cbc:CompanyID"))
		}
		ok = ok || sp.has("cac:Party/cac:PartyIdentification/cbc:ID") || sp.has("cac:Party/cac:PartyLegalEntity/cbc:CompanyID")
		c.assert(ok, "BR-CO-26", sp, "In order for the buyer to automatically identify a supplier, the Seller identifier (BT-29), the Seller legal registration identifier (BT-30) and/or the Seller VAT identifier (BT-31) shall be present.")
	}
	for _, e := range r.all("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID") {
		_, ok := e.attr("schemeID")
		c.assert(ok, "BR-62", e, "The Seller electronic address (BT-34) shall have a Scheme identifier.")
	}
	for _, e := range r.all("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID") {
		_, ok := e.attr("schemeID")
		c.assert(ok, "BR-63", e, "The Buyer electronic address (BT-49) shall have a Scheme identifier.")
	}
	for _, a := range r.all("cac:AccountingSupplierParty/cac:Party/cac:PostalAddress") {
		c.assert(a.val("cac:Country/cbc:IdentificationCode") != "", "BR-09", a, "The Seller postal address (BG-5) shall contain a Seller country code (BT-40).")
	}
	for _, a := range r.all("cac:AccountingCustomerParty/cac:Party/cac:PostalAddress") {
		c.assert(a.val("cac:Country/cbc:IdentificationCode") != "", "BR-11", a, "The Buyer postal address shall contain a Buyer country code (BT-55).")
	}
	for _, tr := range r.descendants("cac:TaxRepresentativeParty") {
		c.assert(tr.val("cac:PartyName/cbc:Name") != "", "BR-18", tr, "The Seller tax representative name (BT-62) shall be provided in the Invoice, if the Seller (BG-4) has a Seller tax representative party (BG-11).")
		c.assert(tr.has("cac:PostalAddress"), "BR-19", tr, "The Seller tax representative postal address (BG-12) shall be provided in the Invoice, if the Seller (BG-4) has a Seller tax representative party (BG-11).")
		ok := false
		for _, pts := range tr.children("cac:PartyTaxScheme") {
			ok = ok || (isVATScheme(pts) && pts.has("cbc:CompanyID"))
		}
		c.assert(ok, "BR-56", tr, "Each Seller tax representative party (BG-11) shall have a Seller tax representative VAT identifier (BT-63).")
		for _, a := range tr.children("cac:PostalAddress") {
			c.assert(a.val("cac:Country/cbc:IdentificationCode") != "", "BR-20", a, "The Seller tax representative postal address (BG-12) shall contain a Tax representative country code (BT-69), if the Seller (BG-4) has a Seller tax representative party (BG-11).")
		}
	}
	for _, pp := range r.descendants("cac:PayeeParty") {
		var sellerNames, sellerIDs []*node
		if pp.parent != nil {
			sellerNames = pp.parent.all("cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name")
			sellerIDs = pp.parent.all("cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID")
		}
		names := pp.all("cac:PartyName/cbc:Name")
		ok := len(names) > 0 && !anyEqual(names, sellerNames) && !anyEqual(pp.all("cac:PartyIdentification/cbc:ID"), sellerIDs)
		c.assert(ok, "BR-17", pp, "The Payee name (BT-59) shall be provided in the Invoice, if the Payee (BG-10) is different from the Seller (BG-4).")
	}
}

// checkPayment implements the rules on payment instructions and preceding invoice references.
func (c *checker) checkPayment() {
	for _, pm := range c.root.descendants("cac:PaymentMeans") {
		c.assert(pm.has("cbc:PaymentMeansCode"), "BR-49", pm, "A Payment instruction (BG-16) shall specify the Payment means type code (BT-81).")
		code := pm.val("cbc:PaymentMeansCode")
		c.assert((code != "30" && code != "58") || pm.has("cac:PayeeFinancialAccount/cbc:ID"), "BR-61", pm,
			"If the Payment means type code (BT-81) means SEPA credit transfer, Local credit transfer or Non-SEPA international credit transfer, the Payment account identifier (BT-84) shall be present.")
		rawCode := false
		for _, pc := range pm.children("cbc:PaymentMeansCode") {
			rawCode = rawCode || pc.value() == "30" || pc.value() == "58"
		}
		if rawCode {
			for _, acc := range pm.children("cac:PayeeFinancialAccount") {
				c.assert(acc.val("cbc:ID") != "", "BR-50", acc, "A Payment account identifier (BT-84) shall be present if Credit transfer (BG-17) information is provided in the Invoice.")
			}
		}
		for _, pan := range pm.all("cac:CardAccount/cbc:PrimaryAccountNumberID") {
			if len([]rune(normalizeSpace(pan.value()))) > 10 {
				c.warn("BR-51", pan, "An invoice should never include a full card primary account number (BT-87); at most the first 6 and last 4 digits.")
			}
		}
	}
	for _, br := range c.root.descendants("cac:BillingReference") {
		c.assert(br.has("cac:InvoiceDocumentReference/cbc:ID"), "BR-55", br, "Each Preceding Invoice reference (BG-3) shall contain a Preceding Invoice reference (BT-25).")
	}
}

// checkLines implements the rules whose context is an invoice or credit note line.
func (c *checker) checkLines() {
	for _, l := range c.lines {
		c.assert(l.val("cbc:ID") != "", "BR-21", l, "Each Invoice line (BG-25) shall have an Invoice line identifier (BT-126).")
		qty := l.first(c.qty)
		c.assert(qty != nil, "BR-22", l, "Each Invoice line (BG-25) shall have an Invoiced quantity (BT-129).")
		hasUnit := false
		for _, q := range l.children(c.qty) {
			_, ok := q.attr("unitCode")
			hasUnit = hasUnit || ok
		}
		c.assert(hasUnit, "BR-23", l, "An Invoice line (BG-25) shall have an Invoiced quantity unit of measure code (BT-130).")
		c.assert(l.has("cbc:LineExtensionAmount"), "BR-24", l, "Each Invoice line (BG-25) shall have an Invoice line net amount (BT-131).")
		c.assert(l.val("cac:Item/cbc:Name") != "", "BR-25", l, "Each Invoice line (BG-25) shall contain the Item name (BT-153).")
		c.assert(l.has("cac:Price/cbc:PriceAmount"), "BR-26", l, "Each Invoice line (BG-25) shall contain the Item net price (BT-146).")
		price, ok := decimalOf(l.first("cac:Price/cbc:PriceAmount"))
		c.assert(ok && price.Sign() >= 0, "BR-27", l, "The Item net price (BT-146) shall NOT be negative.")
		if base := l.first("cac:Price/cac:AllowanceCharge/cbc:BaseAmount"); base != nil {
			v, ok := decimalOf(base)
			c.assert(ok && v.Sign() >= 0, "BR-28", l, "The Item gross price (BT-148) shall NOT be negative.")
		}
		vatCat := false
		for _, ctc := range l.all("cac:Item/cac:ClassifiedTaxCategory") {
			vatCat = vatCat || (isVATScheme(ctc) && ctc.has("cbc:ID"))
		}
		c.assert(vatCat, "BR-CO-04", l, "Each Invoice line (BG-25) shall be categorized with an Invoiced item VAT category code (BT-151).")
		c.decimals("BR-DEC-23", l, "cbc:LineExtensionAmount", "Invoice line net amount (BT-131)")
	}
}

// checkAllowanceCharges implements the rules on document level (BG-20, BG-21) and line level
// (BG-27, BG-28) allowances and charges.
func (c *checker) checkAllowanceCharges() {
	for _, ac := range c.root.children("cac:AllowanceCharge") {
		charge, ok := chargeIndicator(ac)
		if !ok {
			continue
		}
		reason := ac.has("cbc:AllowanceChargeReason") || ac.has("cbc:AllowanceChargeReasonCode")
		vatCode := false
		for _, tc := range ac.children("cac:TaxCategory") {
			vatCode = vatCode || (isVATScheme(tc) && tc.has("cbc:ID"))
		}
		if !charge {
			c.assert(ac.has("cbc:Amount"), "BR-31", ac, "Each Document level allowance (BG-20) shall have a Document level allowance amount (BT-92).")
			c.assert(vatCode, "BR-32", ac, "Each Document level allowance (BG-20) shall have a Document level allowance VAT category code (BT-95).")
			c.assert(reason, "BR-33", ac, "Each Document level allowance (BG-20) shall have a Document level allowance reason (BT-97) or a Document level allowance reason code (BT-98).")
			c.assert(reason, "BR-CO-21", ac, "Each Document level allowance (BG-20) shall contain a Document level allowance reason (BT-97) or a Document level allowance reason code (BT-98), or both.")
			c.decimals("BR-DEC-01", ac, "cbc:Amount", "Document level allowance amount (BT-92)")
			c.decimals("BR-DEC-02", ac, "cbc:BaseAmount", "Document level allowance base amount (BT-93)")
		} else {
			c.assert(ac.has("cbc:Amount"), "BR-36", ac, "Each Document level charge (BG-21) shall have a Document level charge amount (BT-99).")
			c.assert(vatCode, "BR-37", ac, "Each Document level charge (BG-21) shall have a Document level charge VAT category code (BT-102).")
			c.assert(reason, "BR-38", ac, "Each Document level charge (BG-21) shall have a Document level charge reason (BT-104) or a Document level charge reason code (BT-105).")
			c.assert(reason, "BR-CO-22", ac, "Each Document level charge (BG-21) shall contain a Document level charge reason (BT-104) or a Document level charge reason code (BT-105), or both.")
			c.decimals("BR-DEC-05", ac, "cbc:Amount", "Document level charge amount (BT-99)")
			c.decimals("BR-DEC-06", ac, "cbc:BaseAmount", "Document level charge base amount (BT-100)")
		}
	}
	for _, l := range c.allLines() {
		for _, ac := range l.children("cac:AllowanceCharge") {
			charge, ok := chargeIndicator(ac)
			if !ok {
				continue
			}
			reason := ac.has("cbc:AllowanceChargeReason") || ac.has("cbc:AllowanceChargeReasonCode")
			if !charge {
				c.assert(ac.has("cbc:Amount"), "BR-41", ac, "Each Invoice line allowance (BG-27) shall have an Invoice line allowance amount (BT-136).")
				c.assert(reason, "BR-42", ac, "Each Invoice line allowance (BG-27) shall have an Invoice line allowance reason (BT-139) or an Invoice line allowance reason code (BT-140).")
				c.assert(reason, "BR-CO-23", ac, "Each Invoice line allowance (BG-27) shall contain an Invoice line allowance reason (BT-139) or an Invoice line allowance reason code (BT-140), or both.")
				c.decimals("BR-DEC-24", ac, "cbc:Amount", "Invoice line allowance amount (BT-136)")
				c.decimals("BR-DEC-25", ac, "cbc:BaseAmount", "Invoice line allowance base amount (BT-137)")
			} else {
				c.assert(ac.has("cbc:Amount"), "BR-43", ac, "Each Invoice line charge (BG-28) shall have an Invoice line charge amount (BT-141).")
				c.assert(reason, "BR-44", ac, "Each Invoice line charge shall have an Invoice line charge reason or an invoice line allowance reason code.")
				c.assert(reason, "BR-CO-24", ac, "Each Invoice line charge (BG-28) shall contain an Invoice line charge reason (BT-144) or an Invoice line charge reason code (BT-145), or both.")
				c.decimals("BR-DEC-27", ac, "cbc:Amount", "Invoice line charge amount (BT-141)")
				c.decimals("BR-DEC-28", ac, "cbc:BaseAmount", "Invoice line charge base amount (BT-142)")
			}
		}
	}
}

// checkPeriods implements the rules on the invoicing period (BG-14) and line periods (BG-26).
func (c *checker) checkPeriods() {
	for _, p := range c.root.descendants("cac:InvoicePeriod") {
		start, end := p.first("cbc:StartDate"), p.first("cbc:EndDate")
		ordered := true
		if start != nil && end != nil {
			s, okS := parseDate(start.value())
			e, okE := parseDate(end.value())
			ordered = okS && okE && !e.Before(s)
		}
		if p.parent.is("cac:InvoiceLine") || p.parent.is("cac:CreditNoteLine") {
			c.assert(ordered, "BR-30", p, "If both Invoice line period start date (BT-134) and Invoice line period end date (BT-135) are given then the Invoice line period end date (BT-135) shall be later or equal to the Invoice line period start date (BT-134).")
			c.assert(start != nil || end != nil, "BR-CO-20", p, "If Invoice line period (BG-26) is used, the Invoice line period start date (BT-134) or the Invoice line period end date (BT-135) shall be filled, or both.")
			continue
		}
		c.assert(ordered, "BR-29", p, "If both Invoicing period start date (BT-73) and Invoicing period end date (BT-74) are given then the Invoicing period end date (BT-74) shall be later or equal to the Invoicing period start date (BT-73).")
		c.assert(start != nil || end != nil || p.has("cbc:DescriptionCode"), "BR-CO-19", p, "If Invoicing period (BG-14) is used, the Invoicing period start date (BT-73) or the Invoicing period end date (BT-74) shall be filled, or both.")
	}
}

// checkMisc implements the remaining existence rules on supporting documents, item attributes,
// delivery addresses and item identifiers.
func (c *checker) checkMisc() {
	for _, d := range c.root.descendants("cac:AdditionalDocumentReference") {
		c.assert(d.val("cbc:ID") != "", "BR-52", d, "Each Additional supporting document (BG-24) shall contain a Supporting document reference (BT-122).")
	}
	for _, p := range c.root.descendants("cac:AdditionalItemProperty") {
		c.assert(p.has("cbc:Name") && p.has("cbc:Value"), "BR-54", p, "Each Item attribute (BG-32) shall contain an Item attribute name (BT-160) and an Item attribute value (BT-161).")
	}
	for _, d := range c.root.descendants("cac:Delivery") {
		for _, a := range d.all("cac:DeliveryLocation/cac:Address") {
			c.assert(a.has("cac:Country/cbc:IdentificationCode"), "BR-57", a, "Each Deliver to address (BG-15) shall contain a Deliver to country code (BT-80).")
		}
	}
	for _, l := range c.allLines() {
		for _, id := range l.all("cac:Item/cac:StandardItemIdentification/cbc:ID") {
			_, ok := id.attr("schemeID")
			c.assert(ok, "BR-64", id, "The Item standard identifier (BT-157) shall have a Scheme identifier.")
		}
		for _, cc := range l.all("cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode") {
			_, ok := cc.attr("listID")
			c.assert(ok, "BR-65", cc, "The Item classification identifier (BT-158) shall have a Scheme identifier.")
		}
	}
}

// allLines returns every cac:InvoiceLine and cac:CreditNoteLine of the document (XPath
// //cac:InvoiceLine | //cac:CreditNoteLine).
func (c *checker) allLines() []*node {
	var out []*node
	c.root.walk(func(n *node) {
		if n.is("cac:InvoiceLine") || n.is("cac:CreditNoteLine") {
			out = append(out, n)
		}
	})
	return out
}

// isVATScheme reports whether a tax category or party tax scheme belongs to the VAT scheme
// (cac:TaxScheme/normalize-space(upper-case(cbc:ID)) = 'VAT').
func isVATScheme(n *node) bool {
	for _, id := range n.all("cac:TaxScheme/cbc:ID") {
		if normalizeSpace(strings.ToUpper(id.value())) == "VAT" {
			return true
		}
	}
	return false
}

// chargeIndicator casts cbc:ChargeIndicator to xs:boolean: true for a charge, false for an
// allowance; ok is false when it is missing or not a boolean.
func chargeIndicator(ac *node) (charge, ok bool) {
	switch normalizeSpace(ac.val("cbc:ChargeIndicator")) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// anyEqual implements the XPath general comparison a = b on string values.
func anyEqual(a, b []*node) bool {
	for _, x := range a {
		for _, y := range b {
			if x.value() == y.value() {
				return true
			}
		}
	}
	return false
}
