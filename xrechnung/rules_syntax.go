package xrechnung

// EN 16931 UBL syntax binding rules: cardinality restrictions (UBL-SR-*) and data type rules
// (UBL-DT-01, UBL-DT-06, UBL-DT-07).

import (
	"strings"
)

// cardinality is a "count(path) <= max" restriction.
type cardinality struct {
	rule, path string
	max        int
	msg        string
}

var rootCardinalities = []cardinality{
	{"UBL-SR-01", "cac:ContractDocumentReference/cbc:ID", 1, "Contract identifier shall occur maximum once."},
	{"UBL-SR-02", "cac:ReceiptDocumentReference/cbc:ID", 1, "Receive advice identifier shall occur maximum once."},
	{"UBL-SR-03", "cac:DespatchDocumentReference/cbc:ID", 1, "Despatch advice identifier shall occur maximum once."},
	{"UBL-SR-05", "cac:PaymentTerms/cbc:Note", 1, "Payment terms shall occur maximum once."},
	{"UBL-SR-08", "cac:InvoicePeriod", 1, "Invoice period shall occur maximum once."},
	{"UBL-SR-09", "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName", 1, "Seller name shall occur maximum once."},
	{"UBL-SR-10", "cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name", 1, "Seller trader name shall occur maximum once."},
	{"UBL-SR-11", "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", 1, "Seller legal registration identifier shall occur maximum once."},
	{"UBL-SR-14", "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyLegalForm", 1, "Seller additional legal information shall occur maximum once."},
	{"UBL-SR-15", "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName", 1, "Buyer name shall occur maximum once."},
	{"UBL-SR-16", "cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID", 1, "Buyer identifier shall occur maximum once."},
	{"UBL-SR-17", "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", 1, "Buyer legal registration identifier shall occur maximum once."},
	{"UBL-SR-24", "cac:Delivery", 1, "Deliver to information shall occur maximum once."},
	{"UBL-SR-39", "cac:ProjectReference/cbc:ID", 1, "Project reference shall occur maximum once."},
	{"UBL-SR-40", "cac:AccountingCustomerParty/cac:Party/cac:PartyName/cbc:Name", 1, "Buyer trade name shall occur maximum once."},
	{"UBL-SR-45", "cac:PaymentMeans/cbc:PaymentDueDate", 1, "Due Date shall occur maximum once."},
	{"UBL-SR-49", "cac:InvoicePeriod/cbc:DescriptionCode", 1, "Value tax point date shall occur maximum once."},
	{"UBL-SR-54", "cac:PaymentMeans/cac:CardAccount", 1, "An Invoice shall contain maximum one Payment Card account (BG-18)."},
	{"UBL-SR-55", "cac:PaymentMeans/cac:PaymentMandate", 1, "An Invoice shall contain maximum one Payment Mandate (BG-19)."},
}

var lineCardinalities = []cardinality{
	{"UBL-SR-34", "cbc:Note", 1, "Invoice line note shall occur maximum once."},
	{"UBL-SR-35", "cac:OrderLineReference/cbc:LineID", 1, "Referenced purchase order line identifier shall occur maximum once."},
	{"UBL-SR-36", "cac:InvoicePeriod", 1, "Invoice line period shall occur maximum once."},
	{"UBL-SR-37", "cac:Price/cac:AllowanceCharge/cbc:Amount", 1, "Item price discount shall occur maximum once."},
	{"UBL-SR-50", "cac:Item/cbc:Description", 1, "Item description shall occur maximum once."},
	{"UBL-SR-52", "cac:DocumentReference", 1, "Document reference shall occur maximum once."},
}

// checkCounts fails each restriction whose path occurs more often than allowed under ctx.
func (c *checker) checkCounts(ctx *node, rules []cardinality) {
	for _, r := range rules {
		c.assert(len(ctx.all(r.path)) <= r.max, r.rule, ctx, r.msg)
	}
}

// checkSyntax implements the UBL syntax binding rules.
func (c *checker) checkSyntax() {
	r := c.root
	c.checkCounts(r, rootCardinalities)
	vatIDs, taxIDs := 0, 0
	for _, pts := range r.all("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme") {
		n := len(pts.children("cbc:CompanyID"))
		for _, id := range pts.all("cac:TaxScheme/cbc:ID") {
			if strings.ToUpper(id.value()) == "VAT" {
				vatIDs += n
				break
			}
		}
		for _, id := range pts.all("cac:TaxScheme/cbc:ID") {
			if strings.ToUpper(id.value()) != "VAT" {
				taxIDs += n
				break
			}
		}
	}
	c.assert(vatIDs <= 1, "UBL-SR-12", r, "Seller VAT identifier shall occur maximum once.")
	c.assert(taxIDs <= 1, "UBL-SR-13", r, "Seller tax registration shall occur maximum once.")
	buyerVAT := 0
	for _, pts := range r.all("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme") {
		for _, id := range pts.all("cac:TaxScheme/cbc:ID") {
			if strings.ToUpper(id.value()) == "VAT" {
				buyerVAT += len(pts.children("cbc:CompanyID"))
				break
			}
		}
	}
	c.assert(buyerVAT <= 1, "UBL-SR-18", r, "Buyer VAT identifier shall occur maximum once.")
	sepa := 0
	for _, id := range r.descendants("cbc:ID") {
		if s, ok := id.attr("schemeID"); ok && id.parent.is("cac:PartyIdentification") && strings.ToUpper(s) == "SEPA" {
			sepa++
		}
	}
	c.assert(sepa <= 1, "UBL-SR-29", r, "Bank creditor reference shall occur maximum once.")
	c.assert(distinctValues(r.descendants("cbc:PaymentID")) <= 1, "UBL-SR-44", r, "An Invoice may only have one unique PaymentID, but the PaymentID may be used for multiple PaymentMeans.")
	c.assert(distinctValues(r.descendants("cbc:PaymentMeansCode")) <= 1, "UBL-SR-47", r, "When there are more than one payment means code, they shall be equal.")

	for _, l := range c.allLines() {
		c.checkCounts(l, lineCardinalities)
		c.assert(len(l.all("cac:Item/cac:ClassifiedTaxCategory")) == 1, "UBL-SR-48", l, "Invoice lines shall have one and only one classified tax category.")
	}
	for _, pm := range r.descendants("cac:PaymentMeans") {
		c.assert(len(pm.children("cbc:PaymentID")) <= 1, "UBL-SR-26", pm, "Payment reference shall occur maximum once.")
		c.assert(len(pm.children("cbc:PaymentMeansCode")) <= 1, "UBL-SR-27", pm, "Payment means text shall occur maximum once.")
		c.assert(len(pm.all("cac:PaymentMandate/cbc:ID")) <= 1, "UBL-SR-28", pm, "Mandate reference identifier shall occur maximum once.")
	}
	for _, br := range r.descendants("cac:BillingReference") {
		c.assert(len(br.children("cac:InvoiceDocumentReference")) <= 1, "UBL-SR-06", br, "Preceding invoice reference shall occur maximum once.")
		c.assert(br.has("cac:InvoiceDocumentReference/cbc:ID"), "UBL-SR-07", br, "If there is a preceding invoice reference, the preceding invoice number shall be present.")
	}
	for _, tr := range r.descendants("cac:TaxRepresentativeParty") {
		c.assert(len(tr.all("cac:PartyName/cbc:Name")) <= 1, "UBL-SR-22", tr, "Seller tax representative name shall occur maximum once, if the Seller has a tax representative.")
	}
	for _, s := range r.descendants("cac:TaxSubtotal") {
		c.assert(len(s.all("cac:TaxCategory/cbc:TaxExemptionReason")) <= 1, "UBL-SR-32", s, "VAT exemption reason text shall occur maximum once.")
	}
	for _, pts := range r.descendants("cac:PartyTaxScheme") {
		c.assert(pts.has("cac:TaxScheme/cbc:ID") && pts.has("cbc:CompanyID"), "UBL-SR-53", pts, "CompanyID (VAT Identifier) must be stated when providing the PartyTaxScheme/TaxScheme/ID.")
	}
	for _, p := range r.all("cac:AccountingSupplierParty/cac:Party") {
		c.assert(len(p.children("cac:PartyTaxScheme")) <= 2, "UBL-SR-42", p, "Party tax scheme shall occur maximum twice in accounting supplier party.")
	}
	r.walk(func(n *node) {
		switch {
		case n.is("cac:PostalAddress") || n.is("cac:Address"):
			c.assert(len(n.children("cac:AddressLine")) <= 1, "UBL-SR-51", n, "An address can only have one third line.")
		case n.is("cac:Delivery"):
			c.assert(len(n.all("cac:DeliveryParty/cac:PartyName/cbc:Name")) <= 1, "UBL-SR-25", n, "Deliver to party name shall occur maximum once.")
		case n.is("cac:AdditionalDocumentReference"):
			c.assert(len(n.children("cbc:DocumentDescription")) <= 1, "UBL-SR-33", n, "Supporting document description shall occur maximum once.")
		case n.is("cac:AllowanceCharge"):
			if ch, ok := chargeIndicator(n); ok {
				rule, what := "UBL-SR-30", "allowance"
				if ch {
					rule, what = "UBL-SR-31", "charge"
				}
				c.assert(len(n.children("cbc:AllowanceChargeReason")) <= 1, rule, n, "Document level "+what+" reason shall occur maximum once.")
			}
		}
		if strings.HasSuffix(n.local, "Amount") && !strings.HasSuffix(n.local, "PriceAmount") && !inDiscountedPrice(n) {
			if fractionDigits(n.value()) > 2 {
				c.fail("UBL-DT-01", n, "Amounts shall be decimal up to two fraction digits (got %q).", n.value())
			}
		}
		if strings.HasSuffix(n.local, "BinaryObject") {
			_, mime := n.attr("mimeCode")
			_, file := n.attr("filename")
			c.assert(mime, "UBL-DT-06", n, "Binary object elements shall contain the mime code attribute.")
			c.assert(file, "UBL-DT-07", n, "Binary object elements shall contain the file name attribute.")
		}
	})
}

// inDiscountedPrice implements ancestor::cac:Price/cac:AllowanceCharge: n lies within a price
// that has an allowance or charge.
func inDiscountedPrice(n *node) bool {
	for p := n.parent; p != nil; p = p.parent {
		if p.is("cac:Price") && p.has("cac:AllowanceCharge") {
			return true
		}
	}
	return false
}

// distinctValues counts the distinct string values of nodes.
func distinctValues(nodes []*node) int {
	seen := map[string]bool{}
	for _, n := range nodes {
		seen[n.value()] = true
	}
	return len(seen)
}
