package xrechnung

// EN 16931 VAT category rules for the categories S (BR-S-*), Z (BR-Z-*), E (BR-E-*),
// AE (BR-AE-*) and O (BR-O-*), and the VAT identifier prefix rule BR-CO-09.

import (
	"fmt"
	"math/big"
	"strings"
)

// vatCategory describes how the rules of one VAT category differ.
type vatCategory struct {
	code   string // UNTDID 5305 code
	prefix string // rule prefix, e.g. "BR-AE"
	name   string // name used in the rule texts
}

var vatCategories = []vatCategory{
	{VATStandard, "BR-S", "Standard rated"},
	{VATZero, "BR-Z", "Zero rated"},
	{VATExempt, "BR-E", "Exempt from VAT"},
	{VATReverseCharge, "BR-AE", "Reverse charge"},
	{VATNotSubject, "BR-O", "Not subject to VAT"},
}

// checkVATCategories implements BR-x-01 … BR-x-10 for each supported category, BR-O-11 … 14
// and BR-CO-09.
func (c *checker) checkVATCategories() {
	for _, vc := range vatCategories {
		c.checkCategoryPresence(vc)
		c.checkCategoryParties(vc)
		c.checkCategoryRates(vc)
		c.checkCategoryBreakdown(vc)
	}
	c.checkNotSubjectExclusive()
	for _, pts := range c.root.descendants("cac:PartyTaxScheme") {
		if !isVATScheme(pts) {
			continue
		}
		id := pts.first("cbc:CompanyID").value()
		c.assert(strings.Contains(vatPrefixes, firstN(id, 2)), "BR-CO-09", pts,
			"The Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48) shall have a prefix in accordance with ISO code ISO 3166-1 alpha-2 by which the country of issue may be identified. Nevertheless, Greece may use the prefix 'EL'.")
	}
}

// categories returns the descendants named qname (cac:TaxCategory or cac:ClassifiedTaxCategory)
// with VAT category code, optionally restricted to the VAT scheme.
func (c *checker) categories(qname, code string, vatOnly bool) []*node {
	var out []*node
	for _, tc := range c.root.descendants(qname) {
		if hasCode(tc, code) && (!vatOnly || isVATScheme(tc)) {
			out = append(out, tc)
		}
	}
	return out
}

// allowanceCategories returns the cac:TaxCategory elements of allowances (charge == false) or
// charges with the VAT category code in the VAT scheme; rootOnly restricts them to document level.
func (c *checker) allowanceCategories(code string, charge, rootOnly bool) []*node {
	var out []*node
	for _, ac := range c.root.descendants("cac:AllowanceCharge") {
		if rootOnly && ac.parent != c.root {
			continue
		}
		if ch, ok := chargeIndicator(ac); !ok || ch != charge {
			continue
		}
		for _, tc := range ac.children("cac:TaxCategory") {
			if hasCode(tc, code) && isVATScheme(tc) {
				out = append(out, tc)
			}
		}
	}
	return out
}

// breakdownCategories returns the VAT breakdown categories (/*/cac:TaxTotal/cac:TaxSubtotal/
// cac:TaxCategory) with the code; vatOnly restricts them to the VAT scheme.
func (c *checker) breakdownCategories(code string, vatOnly bool) []*node {
	var out []*node
	for _, tc := range c.root.all("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory") {
		if hasCode(tc, code) && (!vatOnly || isVATScheme(tc)) {
			out = append(out, tc)
		}
	}
	return out
}

// hasCode reports whether normalize-space(cbc:ID) of a category equals code for any cbc:ID.
func hasCode(tc *node, code string) bool {
	for _, id := range tc.children("cbc:ID") {
		if normalizeSpace(id.value()) == code {
			return true
		}
	}
	return false
}

// checkCategoryPresence implements BR-x-01: a category used on lines, allowances or charges
// needs a VAT breakdown of that category (exactly one, except for S).
func (c *checker) checkCategoryPresence(vc vatCategory) {
	rule := vc.prefix + "-01"
	if vc.code == VATStandard {
		var used int
		for _, ac := range c.root.descendants("cac:AllowanceCharge") {
			for _, tc := range ac.children("cac:TaxCategory") {
				if hasCode(tc, VATStandard) {
					used++
				}
			}
		}
		used += len(c.categories("cac:ClassifiedTaxCategory", VATStandard, false))
		inBreakdown := len(c.breakdownCategories(VATStandard, false)) > 0
		c.assert((used > 0) == inBreakdown, rule, c.root, fmt.Sprintf("An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is %q shall contain in the VAT breakdown (BG-23) at least one VAT category code (BT-118) equal with %q.", vc.name, vc.name))
		return
	}
	used := len(c.categories("cac:TaxCategory", vc.code, true))+len(c.categories("cac:ClassifiedTaxCategory", vc.code, true)) > 0
	if used {
		c.assert(len(c.breakdownCategories(vc.code, true)) == 1, rule, c.root, fmt.Sprintf("An Invoice that contains an Invoice line (BG-25), a Document level allowance (BG-20) or a Document level charge (BG-21) where the VAT category code (BT-151, BT-95 or BT-102) is %q shall contain exactly one VAT breakdown (BG-23) with the VAT category code (BT-118) equal to %q.", vc.name, vc.name))
	}
}

// checkCategoryParties implements BR-x-02 … 04: the tax identifiers a category requires
// (S, Z, E, AE) or forbids (O) when lines, allowances or charges use it.
func (c *checker) checkCategoryParties(vc vatCategory) {
	r := c.root
	sellerTaxID := r.has("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID")
	sellerVAT := vatCompanyID(r.all("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme"))
	repVAT := false
	for _, tr := range r.descendants("cac:TaxRepresentativeParty") {
		repVAT = repVAT || vatCompanyID(tr.children("cac:PartyTaxScheme"))
	}
	buyerVAT := vatCompanyID(r.all("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme"))
	buyerLegal := r.has("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID")

	var ok bool
	var need string
	switch vc.code {
	case VATNotSubject:
		ok = !sellerVAT && !repVAT && !buyerVAT
		need = "shall not contain the Seller VAT identifier (BT-31), the Seller tax representative VAT identifier (BT-63) or the Buyer VAT identifier (BT-48)"
	case VATReverseCharge:
		ok = (sellerTaxID || repVAT) && (buyerVAT || buyerLegal)
		need = "shall contain the Seller VAT Identifier (BT-31), the Seller Tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63) and the Buyer VAT identifier (BT-48) and/or the Buyer legal registration identifier (BT-47)"
	default:
		ok = sellerTaxID || repVAT
		need = "shall contain the Seller VAT Identifier (BT-31), the Seller tax registration identifier (BT-32) and/or the Seller tax representative VAT identifier (BT-63)"
	}
	if ok {
		return
	}
	rootOnly := vc.code == VATNotSubject // BR-O-03/04 look at document level only
	if len(c.categories("cac:ClassifiedTaxCategory", vc.code, true)) > 0 {
		c.fail(vc.prefix+"-02", r, "An Invoice that contains an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is %q %s.", vc.name, need)
	}
	if len(c.allowanceCategories(vc.code, false, rootOnly)) > 0 {
		c.fail(vc.prefix+"-03", r, "An Invoice that contains a Document level allowance (BG-20) where the Document level allowance VAT category code (BT-95) is %q %s.", vc.name, need)
	}
	if len(c.allowanceCategories(vc.code, true, rootOnly)) > 0 {
		c.fail(vc.prefix+"-04", r, "An Invoice that contains a Document level charge (BG-21) where the Document level charge VAT category code (BT-102) is %q %s.", vc.name, need)
	}
}

// vatCompanyID reports whether one of the party tax schemes is a VAT scheme with a cbc:CompanyID.
func vatCompanyID(schemes []*node) bool {
	for _, pts := range schemes {
		if isVATScheme(pts) && pts.has("cbc:CompanyID") {
			return true
		}
	}
	return false
}

// checkCategoryRates implements BR-x-05 … 07: the rate of lines, allowances and charges of the
// category (greater than zero for S, zero for Z, E and AE, absent for O).
func (c *checker) checkCategoryRates(vc vatCategory) {
	check := func(rule string, tc *node, what string) {
		pct := tc.first("cbc:Percent")
		var ok bool
		var want string
		switch vc.code {
		case VATNotSubject:
			ok, want = pct == nil, "shall not contain a VAT rate"
		case VATStandard:
			v, okV := decimalOf(pct)
			ok, want = okV && v.Sign() > 0, "shall have a VAT rate greater than zero"
		default:
			v, okV := decimalOf(pct)
			ok, want = okV && v.Sign() == 0, "shall have a VAT rate of 0 (zero)"
		}
		if !ok {
			c.fail(rule, tc, "%s where the VAT category code is %q %s.", what, vc.name, want)
		}
	}
	for _, l := range c.allLines() {
		for _, tc := range l.all("cac:Item/cac:ClassifiedTaxCategory") {
			if hasCode(tc, vc.code) && isVATScheme(tc) {
				check(vc.prefix+"-05", tc, "An Invoice line (BG-25)")
			}
		}
	}
	for _, tc := range c.allowanceCategories(vc.code, false, false) {
		check(vc.prefix+"-06", tc, "A Document level allowance (BG-20)")
	}
	for _, tc := range c.allowanceCategories(vc.code, true, false) {
		check(vc.prefix+"-07", tc, "A Document level charge (BG-21)")
	}
}

// checkCategoryBreakdown implements BR-x-08 … 10 on each VAT breakdown of the category: its
// taxable amount, its tax amount and its exemption reason.
func (c *checker) checkCategoryBreakdown(vc vatCategory) {
	for _, tc := range c.breakdownCategories(vc.code, true) {
		sub := tc.parent
		taxable, okB := decimalOf(sub.first("cbc:TaxableAmount"))
		tax, okT := decimalOf(sub.first("cbc:TaxAmount"))
		if vc.code == VATStandard {
			c.checkStandardTaxable(vc, tc, taxable, okB)
			rate, okR := decimalOf(tc.first("cbc:Percent"))
			c.assert(okT && okB && okR && withinOne(tax, percentOf(taxable, rate)), vc.prefix+"-09", tc, fmt.Sprintf("The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is %q shall equal the VAT category taxable amount (BT-116) multiplied by the VAT category rate (BT-119).", vc.name))
		} else {
			ok := false
			for _, lineName := range []string{"cac:InvoiceLine", "cac:CreditNoteLine"} {
				if len(c.root.descendants(lineName)) == 0 {
					continue
				}
				sum, okS := c.categoryBase(lineName, vc.code, nil)
				ok = ok || (okB && okS && taxable.Cmp(sum) == 0)
			}
			c.assert(ok, vc.prefix+"-08", tc, fmt.Sprintf("In a VAT breakdown (BG-23) where the VAT category code (BT-118) is %q the VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amounts (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of Document level charge amounts (BT-99) where the VAT category codes (BT-151, BT-95, BT-102) are %q.", vc.name, vc.name))
			c.assert(okT && tax.Sign() == 0, vc.prefix+"-09", tc, fmt.Sprintf("The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where the VAT category code (BT-118) is %q shall be 0 (zero).", vc.name))
		}
		reason := tc.has("cbc:TaxExemptionReason") || tc.has("cbc:TaxExemptionReasonCode")
		switch vc.code {
		case VATStandard, VATZero:
			c.assert(!reason, vc.prefix+"-10", tc, fmt.Sprintf("A VAT breakdown (BG-23) with VAT Category code (BT-118) %q shall not have a VAT exemption reason code (BT-121) or VAT exemption reason text (BT-120).", vc.name))
		default:
			c.assert(reason, vc.prefix+"-10", tc, fmt.Sprintf("A VAT breakdown (BG-23) with VAT Category code (BT-118) %q shall have a VAT exemption reason code (BT-121) or a VAT exemption reason text (BT-120).", vc.name))
		}
	}
}

// checkStandardTaxable implements BR-S-08: per rate, the taxable amount equals (within one unit)
// the sum of the standard rated lines, charges and allowances with that rate.
func (c *checker) checkStandardTaxable(vc vatCategory, tc *node, taxable *big.Rat, okB bool) {
	pct := tc.first("cbc:Percent")
	if pct == nil {
		return // "every $rate in ()" holds
	}
	rate, okR := decimalOf(pct)
	ok := false
	if okR && okB {
		usedByAllowance := false
		for _, ac := range c.root.descendants("cac:AllowanceCharge") {
			usedByAllowance = usedByAllowance || categoryMatches(ac.children("cac:TaxCategory"), VATStandard, rate)
		}
		for _, lineName := range []string{"cac:InvoiceLine", "cac:CreditNoteLine"} {
			used := usedByAllowance
			for _, l := range c.root.descendants(lineName) {
				used = used || categoryMatches(l.all("cac:Item/cac:ClassifiedTaxCategory"), VATStandard, rate)
			}
			sum, okS := c.categoryBase(lineName, VATStandard, rate)
			ok = ok || (used && okS && withinOneSigned(taxable, sum))
		}
	}
	c.assert(ok, vc.prefix+"-08", tc, "For each different value of VAT category rate (BT-119) where the VAT category code (BT-118) is \"Standard rated\", the VAT category taxable amount (BT-116) in a VAT breakdown (BG-23) shall equal the sum of Invoice line net amounts (BT-131) plus the sum of document level charge amounts (BT-99) minus the sum of document level allowance amounts (BT-92) where the VAT category code (BT-151, BT-102, BT-95) is \"Standard rated\" and the VAT rate (BT-152, BT-103, BT-96) equals the VAT category rate (BT-119).")
}

// withinOneSigned implements x - 1 < sum < x + 1.
func withinOneSigned(x, sum *big.Rat) bool {
	return sub(x, ratInt(1)).Cmp(sum) < 0 && add(x, ratInt(1)).Cmp(sum) > 0
}

// categoryMatches reports whether one of the categories has the code and, if rate is not nil, a
// cbc:Percent equal to rate (the general comparisons of the BR-x-08 rules).
func categoryMatches(cats []*node, code string, rate *big.Rat) bool {
	codeOK, rateOK := false, rate == nil
	for _, tc := range cats {
		codeOK = codeOK || normalizeSpace(tc.val("cbc:ID")) == code
		if rate != nil {
			for _, p := range tc.children("cbc:Percent") {
				if v, ok := decimalOf(p); ok && v.Cmp(rate) == 0 {
					rateOK = true
				}
			}
		}
	}
	return codeOK && rateOK
}

// categoryBase sums, for the document's lines named lineName and its document level charges and
// allowances of the VAT category (and rate, if not nil), net amounts + charges - allowances.
func (c *checker) categoryBase(lineName, code string, rate *big.Rat) (*big.Rat, bool) {
	var plus, minus []*node
	for _, l := range c.root.children(lineName) {
		if categoryMatches(l.all("cac:Item/cac:ClassifiedTaxCategory"), code, rate) {
			plus = append(plus, l.children("cbc:LineExtensionAmount")...)
		}
	}
	for _, ac := range c.root.children("cac:AllowanceCharge") {
		ch, ok := chargeIndicator(ac)
		if !ok || !categoryMatches(ac.children("cac:TaxCategory"), code, rate) {
			continue
		}
		if ch {
			plus = append(plus, ac.children("cbc:Amount")...)
		} else {
			minus = append(minus, ac.children("cbc:Amount")...)
		}
	}
	p, okP := sumOf(plus)
	m, okM := sumOf(minus)
	if !okP || !okM {
		return nil, false
	}
	return sub(p, m), true
}

// checkNotSubjectExclusive implements BR-O-11 … 14: a "not subject to VAT" breakdown excludes
// every other category.
func (c *checker) checkNotSubjectExclusive() {
	if len(c.breakdownCategories(VATNotSubject, true)) == 0 {
		return
	}
	other := func(cats []*node) bool {
		for _, tc := range cats {
			if isVATScheme(tc) && !hasCode(tc, VATNotSubject) {
				return true
			}
		}
		return false
	}
	c.assert(!other(c.root.all("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory")), "BR-O-11", c.root,
		"An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain other VAT breakdown groups (BG-23).")
	c.assert(!other(c.root.descendants("cac:ClassifiedTaxCategory")), "BR-O-12", c.root,
		"An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain an Invoice line (BG-25) where the Invoiced item VAT category code (BT-151) is not \"Not subject to VAT\".")
	for _, f := range []struct {
		rule   string
		charge bool
		what   string
	}{
		{"BR-O-13", false, "Document level allowances (BG-20) where Document level allowance VAT category code (BT-95)"},
		{"BR-O-14", true, "Document level charges (BG-21) where Document level charge VAT category code (BT-102)"},
	} {
		var cats []*node
		for _, ac := range c.root.descendants("cac:AllowanceCharge") {
			if ch, ok := chargeIndicator(ac); ok && ch == f.charge {
				cats = append(cats, ac.children("cac:TaxCategory")...)
			}
		}
		c.assert(!other(cats), f.rule, c.root, "An Invoice that contains a VAT breakdown group (BG-23) with a VAT category code (BT-118) \"Not subject to VAT\" shall not contain "+f.what+" is not \"Not subject to VAT\".")
	}
}
