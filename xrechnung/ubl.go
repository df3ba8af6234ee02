package xrechnung

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// Marshal validates inv and writes it as an indented UTF-8 UBL 2.1 document conforming to
// XRechnung 3.0: an Invoice, or a CreditNote when TypeCode is 381. Totals and the VAT breakdown
// are computed from the lines (see Invoice.Totals). The output depends only on inv, so the same
// invoice always gives the same bytes.
func Marshal(inv *Invoice) ([]byte, error) {
	if inv == nil {
		return nil, fmt.Errorf("xrechnung: marshal: nil invoice")
	}
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("xrechnung: invalid invoice %q: %w", inv.Number, err)
	}
	t, err := inv.Totals()
	if err != nil {
		return nil, fmt.Errorf("xrechnung: invoice %q: %w", inv.Number, err)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := buildDocument(inv, t).encode(enc); err != nil {
		return nil, fmt.Errorf("xrechnung: encode invoice %q: %w", inv.Number, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("xrechnung: encode invoice %q: %w", inv.Number, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// buildDocument lays out the UBL document in the element order the UBL 2.1 schemas prescribe.
func buildDocument(inv *Invoice, t Totals) *xmlElem {
	credit := inv.IsCreditNote()
	cur := inv.currency()
	rootName, rootNS, typeName, lineName, qtyName := "ubl:Invoice", nsInvoice, "cbc:InvoiceTypeCode", "cac:InvoiceLine", "cbc:InvoicedQuantity"
	if credit {
		rootName, rootNS, typeName, lineName, qtyName = "ubl:CreditNote", nsCreditNote, "cbc:CreditNoteTypeCode", "cac:CreditNoteLine", "cbc:CreditedQuantity"
	}
	root := &xmlElem{name: rootName, attrs: []xml.Attr{
		attr("xmlns:ubl", rootNS), attr("xmlns:cac", nsCAC), attr("xmlns:cbc", nsCBC),
	}}
	dueDate := inv.DueDate
	if credit {
		dueDate = "" // a CreditNote carries BT-9 in cac:PaymentMeans/cbc:PaymentDueDate
	}
	root.add(
		leaf("cbc:CustomizationID", CustomizationXRechnung),
		leaf("cbc:ProfileID", inv.processID()),
		leaf("cbc:ID", inv.Number),
		leaf("cbc:IssueDate", inv.IssueDate),
		leaf("cbc:DueDate", dueDate),
		leaf(typeName, inv.TypeCode),
		leaf("cbc:Note", inv.Note),
		leaf("cbc:DocumentCurrencyCode", cur),
		leaf("cbc:BuyerReference", inv.BuyerReference),
		elem("cac:InvoicePeriod", leaf("cbc:StartDate", inv.PeriodStart), leaf("cbc:EndDate", inv.PeriodEnd)),
	)
	for _, r := range inv.Preceding {
		root.add(elem("cac:BillingReference", elem("cac:InvoiceDocumentReference",
			leaf("cbc:ID", r.Number), leaf("cbc:IssueDate", r.IssueDate))))
	}
	root.add(
		elem("cac:ContractDocumentReference", leaf("cbc:ID", inv.ContractReference)),
		elem("cac:AccountingSupplierParty", buildParty(&inv.Seller)),
		elem("cac:AccountingCustomerParty", buildParty(&inv.Buyer)),
		buildPayment(inv),
		elem("cac:PaymentTerms", leaf("cbc:Note", inv.PaymentTerms)),
		buildTaxTotal(inv, t, cur),
		elem("cac:LegalMonetaryTotal",
			amount("cbc:LineExtensionAmount", t.LineNetCents, cur),
			amount("cbc:TaxExclusiveAmount", t.TaxExclusiveCents, cur),
			amount("cbc:TaxInclusiveAmount", t.TaxInclusiveCents, cur),
			amount("cbc:PayableAmount", t.PayableCents, cur),
		),
	)
	for i := range inv.Lines {
		l := &inv.Lines[i]
		root.add(elem(lineName,
			leaf("cbc:ID", l.lineID(i)),
			leaf(qtyName, formatScaled(l.QuantityMilli, 3), attr("unitCode", l.unitCode())),
			amount("cbc:LineExtensionAmount", l.NetCents, cur),
			elem("cac:InvoicePeriod", leaf("cbc:StartDate", l.PeriodStart), leaf("cbc:EndDate", l.PeriodEnd)),
			elem("cac:Item",
				leaf("cbc:Description", l.Description),
				leaf("cbc:Name", l.Name),
				buildCategory("cac:ClassifiedTaxCategory", inv.VAT, false),
			),
			elem("cac:Price", amount("cbc:PriceAmount", l.PriceCents, cur)),
		))
	}
	return root
}

// buildParty writes cac:Party of a seller or buyer.
func buildParty(p *Party) *xmlElem {
	var idAttrs []xml.Attr
	if !isBlank(p.IdentifierScheme) {
		idAttrs = append(idAttrs, attr("schemeID", p.IdentifierScheme))
	}
	return elem("cac:Party",
		leaf("cbc:EndpointID", p.ElectronicAddress.Value, attr("schemeID", p.ElectronicAddress.Scheme)),
		elem("cac:PartyIdentification", leaf("cbc:ID", p.Identifier, idAttrs...)),
		elem("cac:PartyName", leaf("cbc:Name", p.TradingName)),
		elem("cac:PostalAddress",
			leaf("cbc:StreetName", p.Street),
			leaf("cbc:AdditionalStreetName", p.AdditionalStreet),
			leaf("cbc:CityName", p.City),
			leaf("cbc:PostalZone", p.PostalCode),
			leaf("cbc:CountrySubentity", p.CountrySubdivision),
			elem("cac:Country", leaf("cbc:IdentificationCode", p.CountryCode)),
		),
		taxScheme(p.VATID, "VAT"),
		taxScheme(p.TaxNumber, "FC"),
		elem("cac:PartyLegalEntity",
			leaf("cbc:RegistrationName", p.Name),
			leaf("cbc:CompanyID", p.RegistrationID),
			leaf("cbc:CompanyLegalForm", p.LegalInfo),
		),
		elem("cac:Contact",
			leaf("cbc:Name", p.Contact.Name),
			leaf("cbc:Telephone", p.Contact.Phone),
			leaf("cbc:ElectronicMail", p.Contact.Email),
		),
	)
}

// taxScheme writes a cac:PartyTaxScheme for a VAT identifier ("VAT") or tax number ("FC").
func taxScheme(id, scheme string) *xmlElem {
	if isBlank(id) {
		return nil
	}
	return elem("cac:PartyTaxScheme", leaf("cbc:CompanyID", id), elem("cac:TaxScheme", leaf("cbc:ID", scheme)))
}

// buildPayment writes the payment instructions (BG-16) for a credit transfer.
func buildPayment(inv *Invoice) *xmlElem {
	p := &inv.Payment
	dueDate := ""
	if inv.IsCreditNote() {
		dueDate = inv.DueDate
	}
	return elem("cac:PaymentMeans",
		leaf("cbc:PaymentMeansCode", p.meansCode()),
		leaf("cbc:PaymentDueDate", dueDate),
		leaf("cbc:PaymentID", p.RemittanceInfo),
		elem("cac:PayeeFinancialAccount",
			leaf("cbc:ID", removeSpace(p.IBAN)),
			leaf("cbc:Name", p.AccountName),
			elem("cac:FinancialInstitutionBranch", leaf("cbc:ID", p.BIC)),
		),
	)
}

// buildTaxTotal writes the single cac:TaxTotal with one VAT breakdown (BG-23).
func buildTaxTotal(inv *Invoice, t Totals, cur string) *xmlElem {
	return elem("cac:TaxTotal",
		amount("cbc:TaxAmount", t.VATCents, cur),
		elem("cac:TaxSubtotal",
			amount("cbc:TaxableAmount", t.TaxExclusiveCents, cur),
			amount("cbc:TaxAmount", t.VATCents, cur),
			buildCategory("cac:TaxCategory", inv.VAT, true),
		),
	)
}

// buildCategory writes a VAT category: the breakdown's cac:TaxCategory (breakdown == true), which
// carries the exemption reason and, as XRechnung requires (BR-DE-14), always a rate, or a line's
// cac:ClassifiedTaxCategory, which has no rate for category O (BR-O-05).
func buildCategory(name string, v VAT, breakdown bool) *xmlElem {
	percent := formatScaled(v.RateBasisPoints, 2)
	if !breakdown && v.Category == VATNotSubject {
		percent = ""
	}
	e := elem(name, leaf("cbc:ID", v.Category), leaf("cbc:Percent", percent))
	if breakdown {
		e.add(leaf("cbc:TaxExemptionReasonCode", v.ExemptionReasonCode), leaf("cbc:TaxExemptionReason", v.ExemptionReason))
	}
	e.add(elem("cac:TaxScheme", leaf("cbc:ID", "VAT")))
	return e
}

// xmlElem is an element to write; nil elements are skipped, which makes optional parts easy.
type xmlElem struct {
	name  string
	attrs []xml.Attr
	text  string
	kids  []*xmlElem
}

// elem returns an aggregate element, or nil when none of its children is present.
func elem(name string, kids ...*xmlElem) *xmlElem {
	e := &xmlElem{name: name}
	e.add(kids...)
	if len(e.kids) == 0 {
		return nil
	}
	return e
}

// leaf returns a basic element with text, or nil when the text is blank (PEPPOL-EN16931-R008
// forbids empty elements).
func leaf(name, text string, attrs ...xml.Attr) *xmlElem {
	if isBlank(text) {
		return nil
	}
	return &xmlElem{name: name, text: text, attrs: attrs}
}

// amount returns an amount element with two decimals and the currency.
func amount(name string, cents int64, currency string) *xmlElem {
	return leaf(name, formatCents(cents), attr("currencyID", currency))
}

// attr returns an unqualified (or literally prefixed) attribute.
func attr(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }

// add appends the non-nil elements.
func (e *xmlElem) add(kids ...*xmlElem) {
	for _, k := range kids {
		if k != nil {
			e.kids = append(e.kids, k)
		}
	}
}

// encode writes the element and its children as tokens; the names carry their prefixes
// literally, the namespace declarations are the root's attributes.
func (e *xmlElem) encode(enc *xml.Encoder) error {
	start := xml.StartElement{Name: xml.Name{Local: e.name}, Attr: e.attrs}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if e.text != "" {
		if err := enc.EncodeToken(xml.CharData(e.text)); err != nil {
			return err
		}
	}
	for _, k := range e.kids {
		if err := k.encode(enc); err != nil {
			return err
		}
	}
	return enc.EncodeToken(start.End())
}
