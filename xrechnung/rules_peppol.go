package xrechnung

// Peppol BIS Billing 3.0 rules that KoSIT merges into XRechnung (src/xsl/rule-list.xml of
// itplr-kosit/xrechnung-schematron v2.5.0).

import (
	"math/big"
)

// slack returns the tolerance of PEPPOL-EN16931-R040 and R120: 0.02, or 0.5 for HUF (KoSIT's
// adaptation for a currency without minor unit).
func (c *checker) slack() *big.Rat {
	if normalizeSpace(c.root.val("cbc:DocumentCurrencyCode")) == "HUF" {
		return big.NewRat(1, 2)
	}
	return big.NewRat(2, 100)
}

// checkPeppol implements the merged Peppol rules.
func (c *checker) checkPeppol() {
	r := c.root
	c.assert(r.has("cbc:ProfileID"), "PEPPOL-EN16931-R001", r, "Business process MUST be provided.")
	for _, tc := range r.children("cbc:TaxCurrencyCode") {
		c.assert(normalizeSpace(tc.value()) != normalizeSpace(r.first("cbc:DocumentCurrencyCode").value()), "PEPPOL-EN16931-R005", tc,
			"VAT accounting currency code MUST be different from invoice currency code when provided.")
	}
	r.walk(func(n *node) {
		if len(n.kids) == 0 && isBlank(n.text) {
			c.fail("PEPPOL-EN16931-R008", n, "Document MUST not contain empty elements.")
		}
	})
	for _, p := range r.all("cac:AccountingCustomerParty/cac:Party") {
		c.assert(p.has("cbc:EndpointID"), "PEPPOL-EN16931-R010", p, "Buyer electronic address MUST be provided.")
	}
	for _, p := range r.all("cac:AccountingSupplierParty/cac:Party") {
		c.assert(p.has("cbc:EndpointID"), "PEPPOL-EN16931-R020", p, "Seller electronic address MUST be provided.")
	}
	c.checkPeppolAllowanceCharges()
	withSubtotals, withoutSubtotals := 0, 0
	for _, tt := range r.children("cac:TaxTotal") {
		if tt.has("cac:TaxSubtotal") {
			withSubtotals++
		} else {
			withoutSubtotals++
		}
	}
	c.assert(withSubtotals == 1, "PEPPOL-EN16931-R053", r, "Only one tax total with tax subtotals MUST be provided.")
	wantWithout := 0
	if r.has("cbc:TaxCurrencyCode") {
		wantWithout = 1
	}
	c.assert(withoutSubtotals == wantWithout, "PEPPOL-EN16931-R054", r, "Only one tax total without tax subtotals MUST be provided when tax currency code is provided.")
	c.checkTaxCurrencySign()
	for _, pm := range r.descendants("cac:PaymentMeans") {
		if code := pm.val("cbc:PaymentMeansCode"); code == "49" || code == "59" {
			c.assert(pm.has("cac:PaymentMandate/cbc:ID"), "PEPPOL-EN16931-R061", pm, "Mandate reference MUST be provided for direct debit.")
		}
	}
	c.checkPeppolLines()
}

// checkPeppolAllowanceCharges implements PEPPOL-EN16931-R040 … R044 and R046.
func (c *checker) checkPeppolAllowanceCharges() {
	var acs []*node
	acs = append(acs, c.root.children("cac:AllowanceCharge")...)
	for _, l := range c.lines {
		acs = append(acs, l.children("cac:AllowanceCharge")...)
	}
	for _, ac := range acs {
		hasMult, hasBase := ac.has("cbc:MultiplierFactorNumeric"), ac.has("cbc:BaseAmount")
		switch {
		case hasMult && !hasBase:
			c.fail("PEPPOL-EN16931-R041", ac, "Allowance/charge base amount MUST be provided when allowance/charge percentage is provided.")
			continue
		case !hasMult && hasBase:
			c.fail("PEPPOL-EN16931-R042", ac, "Allowance/charge percentage MUST be provided when allowance/charge base amount is provided.")
			continue
		}
		if hasMult && hasBase {
			amt := new(big.Rat)
			ok := true
			if a := ac.first("cbc:Amount"); a != nil {
				amt, ok = decimalOf(a)
			}
			base, okB := decimalOf(ac.first("cbc:BaseAmount"))
			mult, okM := decimalOf(ac.first("cbc:MultiplierFactorNumeric"))
			ok = ok && okB && okM && within(amt, new(big.Rat).Quo(mul(base, mult), ratHundred), c.slack())
			c.assert(ok, "PEPPOL-EN16931-R040", ac, "Allowance/charge amount must equal base amount * percentage/100 if base amount and percentage exists.")
		}
		ind := ""
		if i := ac.first("cbc:ChargeIndicator"); i != nil {
			ind = normalizeSpace(i.text)
		}
		c.assert(ind == "true" || ind == "false", "PEPPOL-EN16931-R043", ac, "Allowance/charge ChargeIndicator value MUST equal 'true' or 'false'.")
	}
	for _, price := range c.root.descendants("cac:Price") {
		for _, ac := range price.children("cac:AllowanceCharge") {
			c.assert(ac.val("cbc:ChargeIndicator") == "false", "PEPPOL-EN16931-R044", ac, "Charge on price level is NOT allowed. Only value 'false' allowed.")
			if ac.has("cbc:BaseAmount") {
				p, okP := decimalOf(price.first("cbc:PriceAmount"))
				b, okB := decimalOf(ac.first("cbc:BaseAmount"))
				a, okA := decimalOf(ac.first("cbc:Amount"))
				c.assert(okP && okB && okA && p.Cmp(sub(b, a)) == 0, "PEPPOL-EN16931-R046", ac, "Item net price MUST equal (Gross price - Allowance amount) when gross price is provided.")
			}
		}
	}
}

// checkTaxCurrencySign implements PEPPOL-EN16931-R055.
func (c *checker) checkTaxCurrencySign() {
	r := c.root
	taxCur := r.first("cbc:TaxCurrencyCode")
	if taxCur == nil {
		return
	}
	amountIn := func(cur string) (*big.Rat, bool) {
		for _, ta := range r.all("cac:TaxTotal/cbc:TaxAmount") {
			if id, _ := ta.attr("currencyID"); id == normalizeSpace(cur) {
				return decimalOf(ta)
			}
		}
		return nil, false
	}
	a, okA := amountIn(taxCur.value())
	b, okB := amountIn(r.first("cbc:DocumentCurrencyCode").value())
	ok := okA && okB && ((a.Sign() <= 0 && b.Sign() <= 0) || (a.Sign() >= 0 && b.Sign() >= 0))
	c.assert(ok, "PEPPOL-EN16931-R055", r, "Invoice total VAT amount and Invoice total VAT amount in accounting currency MUST have the same operational sign.")
}

// checkPeppolLines implements the Peppol line rules R101, R110, R111, R120, R121 and R130.
func (c *checker) checkPeppolLines() {
	r := c.root
	periodStart, hasStart := parseDate(r.val("cac:InvoicePeriod/cbc:StartDate"))
	periodEnd, hasEnd := parseDate(r.val("cac:InvoicePeriod/cbc:EndDate"))
	for _, l := range c.lines {
		if refs := l.children("cac:DocumentReference"); len(refs) > 0 {
			ok := false
			for _, code := range l.all("cac:DocumentReference/cbc:DocumentTypeCode") {
				ok = ok || code.value() == "130"
			}
			c.assert(ok, "PEPPOL-EN16931-R101", l, "Element Document reference can only be used for Invoice line object.")
		}
		if r.has("cac:InvoicePeriod/cbc:StartDate") {
			for _, s := range l.all("cac:InvoicePeriod/cbc:StartDate") {
				d, ok := parseDate(s.value())
				c.assert(ok && hasStart && !d.Before(periodStart), "PEPPOL-EN16931-R110", s, "Start date of line period MUST be within invoice period.")
			}
		}
		if r.has("cac:InvoicePeriod/cbc:EndDate") {
			for _, e := range l.all("cac:InvoicePeriod/cbc:EndDate") {
				d, ok := parseDate(e.value())
				c.assert(ok && hasEnd && !d.After(periodEnd), "PEPPOL-EN16931-R111", e, "End date of line period MUST be within invoice period.")
			}
		}
		c.checkLineNet(l)
		if bq := l.first("cac:Price/cbc:BaseQuantity"); bq != nil {
			v, ok := decimalOf(bq)
			c.assert(ok && v.Sign() > 0, "PEPPOL-EN16931-R121", l, "Base quantity MUST be a positive number above zero.")
		}
		for _, bq := range l.all("cac:Price/cbc:BaseQuantity") {
			unit, hasUnit := bq.attr("unitCode")
			if !hasUnit {
				continue
			}
			qty := l.first(c.qty)
			qtyUnit, _ := qty.attr("unitCode")
			c.assert(qty == nil || unit == qtyUnit, "PEPPOL-EN16931-R130", bq, "Unit code of price base quantity MUST be same as invoiced quantity.")
		}
	}
}

// checkLineNet implements PEPPOL-EN16931-R120: line net = quantity × price / base quantity +
// line charges − line allowances, within 0.02.
func (c *checker) checkLineNet(l *node) {
	ok := true
	val := func(n *node, def *big.Rat) *big.Rat {
		if n == nil {
			return def
		}
		v, okV := decimalOf(n)
		if !okV {
			ok = false
			return def
		}
		return v
	}
	net := val(l.first("cbc:LineExtensionAmount"), new(big.Rat))
	qty := val(l.first(c.qty), ratInt(1))
	price := val(l.first("cac:Price/cbc:PriceAmount"), new(big.Rat))
	base := val(l.first("cac:Price/cbc:BaseQuantity"), ratInt(1))
	if base.Sign() == 0 {
		base = ratInt(1)
	}
	var charges, allowances []*node
	for _, ac := range l.children("cac:AllowanceCharge") {
		switch normalizeSpace(ac.val("cbc:ChargeIndicator")) {
		case "true":
			charges = append(charges, ac.children("cbc:Amount")...)
		case "false":
			allowances = append(allowances, ac.children("cbc:Amount")...)
		}
	}
	ch, okC := sumOf(charges)
	al, okA := sumOf(allowances)
	if ok && okC && okA {
		expected := add(mul(qty, new(big.Rat).Quo(price, base)), sub(round2(ch), round2(al)))
		ok = within(net, expected, c.slack())
	} else {
		ok = false
	}
	if !ok { // XRechnung merges R120 with the flag "warning"
		c.warn("PEPPOL-EN16931-R120", l, "Invoice line net amount MUST equal (Invoiced quantity * (Item net price/item price base quantity) + Sum of invoice line charge amount - sum of invoice line allowance amount.")
	}
}

// within reports whether |x - y| <= tolerance (the Peppol u:slack function).
func within(x, y, tolerance *big.Rat) bool {
	return absRat(sub(x, y)).Cmp(tolerance) <= 0
}
