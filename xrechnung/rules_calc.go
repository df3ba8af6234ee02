package xrechnung

// EN 16931 calculation rules (BR-CO-10..17, BR-CO-25), mandatory totals (BR-12..15), VAT
// breakdown basics (BR-45..48) and decimal places (BR-DEC-*).

import (
	"math/big"
)

// checkTotals implements the rules on the document totals (BG-22).
func (c *checker) checkTotals() {
	r := c.root
	for _, t := range r.descendants("cac:LegalMonetaryTotal") {
		c.assert(t.has("cbc:LineExtensionAmount"), "BR-12", t, "An Invoice shall have the Sum of Invoice line net amount (BT-106).")
		c.assert(t.has("cbc:TaxExclusiveAmount"), "BR-13", t, "An Invoice shall have the Invoice total amount without VAT (BT-109).")
		c.assert(t.has("cbc:TaxInclusiveAmount"), "BR-14", t, "An Invoice shall have the Invoice total amount with VAT (BT-112).")
		c.assert(t.has("cbc:PayableAmount"), "BR-15", t, "An Invoice shall have the Amount due for payment (BT-115).")
		c.checkLineSum(t)
		c.checkAllowanceTotals(t)
		c.checkTaxExclusive(t)
		if !(c.extension && c.profile == XRechnung) { // BR-DEX-09 replaces BR-CO-16 in the extension
			c.checkPayable(t)
		}
		for _, f := range []struct{ rule, elem, what string }{
			{"BR-DEC-09", "cbc:LineExtensionAmount", "Sum of Invoice line net amount (BT-106)"},
			{"BR-DEC-10", "cbc:AllowanceTotalAmount", "Sum of allowances on document level (BT-107)"},
			{"BR-DEC-11", "cbc:ChargeTotalAmount", "Sum of charges on document level (BT-108)"},
			{"BR-DEC-12", "cbc:TaxExclusiveAmount", "Invoice total amount without VAT (BT-109)"},
			{"BR-DEC-14", "cbc:TaxInclusiveAmount", "Invoice total amount with VAT (BT-112)"},
			{"BR-DEC-16", "cbc:PrepaidAmount", "Paid amount (BT-113)"},
			{"BR-DEC-17", "cbc:PayableRoundingAmount", "Rounding amount (BT-114)"},
			{"BR-DEC-18", "cbc:PayableAmount", "Amount due for payment (BT-115)"},
		} {
			c.decimals(f.rule, t, f.elem, f.what)
		}
	}
	if !c.credit {
		for _, p := range r.all("cac:LegalMonetaryTotal/cbc:PayableAmount") {
			v, ok := decimalOf(p)
			due := len(r.descendants("cbc:DueDate")) > 0
			for _, pt := range r.descendants("cac:PaymentTerms") {
				due = due || pt.has("cbc:Note")
			}
			c.assert(ok && (v.Sign() <= 0 || due), "BR-CO-25", p, "In case the Amount due for payment (BT-115) is positive, either the Payment due date (BT-9) or the Payment terms (BT-20) shall be present.")
		}
	}
	for _, cur := range r.children("cbc:DocumentCurrencyCode") {
		var taxAmounts []*node
		for _, ta := range r.all("cac:TaxTotal/cbc:TaxAmount") {
			if id, ok := ta.attr("currencyID"); ok && id == cur.value() {
				taxAmounts = append(taxAmounts, ta)
			}
		}
		incl, okI := decimalOf(r.first("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"))
		excl, okE := decimalOf(r.first("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"))
		ok := len(taxAmounts) == 1 && okI && okE
		if ok {
			tax, okT := decimalOf(taxAmounts[0])
			ok = okT && incl.Cmp(round2(add(excl, tax))) == 0
		}
		c.assert(ok, "BR-CO-15", r, "Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110).")
	}
	for _, tt := range r.children("cac:TaxTotal") {
		subs := tt.children("cac:TaxSubtotal")
		if len(subs) == 0 {
			continue
		}
		total, okT := decimalOf(tt.first("cbc:TaxAmount"))
		sum, okS := sumOf(tt.all("cac:TaxSubtotal/cbc:TaxAmount"))
		c.assert(okT && okS && total.Cmp(round2(sum)) == 0, "BR-CO-14", tt, "Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117).")
	}
}

// checkLineSum implements BR-CO-10.
func (c *checker) checkLineSum(t *node) {
	var nets []*node
	for _, l := range c.allLines() {
		nets = append(nets, l.children("cbc:LineExtensionAmount")...)
	}
	got, okG := decimalOf(t.first("cbc:LineExtensionAmount"))
	sum, okS := sumOf(nets)
	if okG && okS && got.Cmp(round2(sum)) == 0 {
		return
	}
	msg := "Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount (BT-131)."
	if okG && okS {
		c.fail("BR-CO-10", t, "%s BT-106 is %s, the lines sum to %s.", msg, fmtRat(got), fmtRat(round2(sum)))
		return
	}
	c.fail("BR-CO-10", t, "%s", msg)
}

// checkAllowanceTotals implements BR-CO-11 and BR-CO-12.
func (c *checker) checkAllowanceTotals(t *node) {
	for _, f := range []struct {
		rule, elem string
		charge     bool
		msg        string
	}{
		{"BR-CO-11", "cbc:AllowanceTotalAmount", false, "Sum of allowances on document level (BT-107) = Σ Document level allowance amount (BT-92)."},
		{"BR-CO-12", "cbc:ChargeTotalAmount", true, "Sum of charges on document level (BT-108) = Σ Document level charge amount (BT-99)."},
	} {
		var count int
		var amounts []*node
		if t.parent != nil {
			for _, ac := range t.parent.children("cac:AllowanceCharge") {
				if ch, ok := chargeIndicator(ac); ok && ch == f.charge {
					count++
					amounts = append(amounts, ac.children("cbc:Amount")...)
				}
			}
		}
		total := t.first(f.elem)
		if total == nil {
			c.assert(count == 0, f.rule, t, f.msg)
			continue
		}
		got, okG := decimalOf(total)
		sum, okS := sumOf(amounts)
		c.assert(okG && okS && got.Cmp(round2(sum)) == 0, f.rule, t, f.msg)
	}
}

// checkTaxExclusive implements BR-CO-13.
func (c *checker) checkTaxExclusive(t *node) {
	line, okL := decimalOf(t.first("cbc:LineExtensionAmount"))
	excl, okE := decimalOf(t.first("cbc:TaxExclusiveAmount"))
	ok := okL && okE
	expected := line
	if ok {
		charge, allowance := t.first("cbc:ChargeTotalAmount"), t.first("cbc:AllowanceTotalAmount")
		if charge != nil {
			v, okC := decimalOf(charge)
			ok = ok && okC
			if okC {
				expected = add(expected, v)
			}
		}
		if allowance != nil {
			v, okA := decimalOf(allowance)
			ok = ok && okA
			if okA {
				expected = sub(expected, v)
			}
		}
		if charge != nil || allowance != nil {
			expected = round2(expected)
		}
		ok = ok && excl.Cmp(expected) == 0
	}
	c.assert(ok, "BR-CO-13", t, "Invoice total amount without VAT (BT-109) = Σ Invoice line net amount (BT-131) - Sum of allowances on document level (BT-107) + Sum of charges on document level (BT-108).")
}

// checkPayable implements BR-CO-16.
func (c *checker) checkPayable(t *node) {
	pay, okP := decimalOf(t.first("cbc:PayableAmount"))
	incl, okI := decimalOf(t.first("cbc:TaxInclusiveAmount"))
	ok := okP && okI
	if ok {
		due := incl
		if p := t.first("cbc:PrepaidAmount"); p != nil {
			v, okV := decimalOf(p)
			ok = okV
			if okV {
				due = round2(sub(incl, v))
			}
		}
		if rnd := t.first("cbc:PayableRoundingAmount"); rnd != nil && ok {
			v, okV := decimalOf(rnd)
			ok = okV
			if okV {
				pay = round2(sub(pay, v))
			}
		}
		ok = ok && pay.Cmp(due) == 0
	}
	c.assert(ok, "BR-CO-16", t, "Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112) -Paid amount (BT-113) +Rounding amount (BT-114).")
}

// checkTaxBreakdown implements the rules on each VAT breakdown (BG-23).
func (c *checker) checkTaxBreakdown() {
	for _, s := range c.root.descendants("cac:TaxSubtotal") {
		if !s.parent.is("cac:TaxTotal") {
			continue
		}
		c.assert(s.has("cbc:TaxableAmount"), "BR-45", s, "Each VAT breakdown (BG-23) shall have a VAT category taxable amount (BT-116).")
		c.assert(s.has("cbc:TaxAmount"), "BR-46", s, "Each VAT breakdown (BG-23) shall have a VAT category tax amount (BT-117).")
		var vatCats []*node
		for _, tc := range s.children("cac:TaxCategory") {
			if isVATScheme(tc) {
				vatCats = append(vatCats, tc)
			}
		}
		hasCode, hasRate, isO := false, false, false
		var pct *node
		for _, tc := range vatCats {
			hasCode = hasCode || tc.has("cbc:ID")
			isO = isO || tc.val("cbc:ID") == VATNotSubject
			if p := tc.first("cbc:Percent"); p != nil {
				hasRate = true
				if pct == nil {
					pct = p
				}
			}
		}
		c.assert(hasCode, "BR-47", s, "Each VAT breakdown (BG-23) shall be defined through a VAT category code (BT-118).")
		c.assert(hasRate || isO, "BR-48", s, "Each VAT breakdown (BG-23) shall have a VAT category rate (BT-119), except if the Invoice is not subject to VAT.")
		c.checkCategoryTax(s, pct)
		c.decimals("BR-DEC-19", s, "cbc:TaxableAmount", "VAT category taxable amount (BT-116)")
		c.decimals("BR-DEC-20", s, "cbc:TaxAmount", "VAT category tax amount (BT-117)")
	}
}

// checkCategoryTax implements BR-CO-17 for one breakdown; pct is its VAT rate or nil.
func (c *checker) checkCategoryTax(s, pct *node) {
	tax, okT := decimalOf(s.first("cbc:TaxAmount"))
	ok := okT
	if ok {
		switch rate, okR := decimalOf(pct); {
		case pct == nil:
			ok = roundRat(tax).Sign() == 0
		case !okR:
			ok = false
		case roundRat(rate).Sign() == 0:
			ok = roundRat(tax).Sign() == 0
		default:
			taxable, okB := decimalOf(s.first("cbc:TaxableAmount"))
			ok = okB && withinOne(tax, percentOf(taxable, rate))
		}
	}
	c.assert(ok, "BR-CO-17", s, "VAT category tax amount (BT-117) = VAT category taxable amount (BT-116) x (VAT category rate (BT-119) / 100), rounded to two decimals.")
}

// percentOf returns round(|base| × rate / 100, 2) as the rules compute it.
func percentOf(base, rate *big.Rat) *big.Rat {
	return round2(mul(absRat(base), new(big.Rat).Quo(rate, ratHundred)))
}

// withinOne implements the rules' tolerance abs(x) - 1 < expected < abs(x) + 1.
func withinOne(x, expected *big.Rat) bool {
	ax := absRat(x)
	return sub(ax, ratInt(1)).Cmp(expected) < 0 && add(ax, ratInt(1)).Cmp(expected) > 0
}

// checkDecimals implements BR-DEC-13 and BR-DEC-15 on the total VAT amounts. (The official
// assertions compare the currency with a path relative to the amount, which makes them
// vacuous; this implements their stated intent. UBL-DT-01 covers the same amounts.)
func (c *checker) checkDecimals() {
	r := c.root
	for _, ta := range r.all("cac:TaxTotal/cbc:TaxAmount") {
		cur, _ := ta.attr("currencyID")
		if cur == r.val("cbc:DocumentCurrencyCode") && fractionDigits(ta.value()) > 2 {
			c.fail("BR-DEC-13", r, "The allowed maximum number of decimals for the Invoice total VAT amount (BT-110) is 2 (got %q).", ta.value())
		}
		if tc := r.val("cbc:TaxCurrencyCode"); tc != "" && cur == tc && fractionDigits(ta.value()) > 2 {
			c.fail("BR-DEC-15", r, "The allowed maximum number of decimals for the Invoice total VAT amount in accounting currency (BT-111) is 2 (got %q).", ta.value())
		}
	}
}

// decimals fails rule at ctx when the first element at path has more than two decimals.
func (c *checker) decimals(rule string, ctx *node, path, what string) {
	if n := ctx.first(path); n != nil && fractionDigits(n.value()) > 2 {
		c.fail(rule, ctx, "The allowed maximum number of decimals for the %s is 2 (got %q).", what, n.value())
	}
}
